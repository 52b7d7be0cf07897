"""Start a livestream for each meeting of a CSV file, from Python, against the local emulator.

    python examples/batch_csv.py examples/meetings.csv

Every record gets an outcome, in input order; a bad row is reported, not fatal. The same from the
command line:

    httpql exec --emulator -f examples/start_each.sql --each examples/meetings.csv \\
        --var account_id=demo-account --var app_id=demo-app
"""

import csv
import sys

import httpql

SQL = ("INSERT INTO cloudflare.realtime_kit.livestreams (meeting_id, name, account_id, app_id) "
       "SELECT :meeting_id, :name, 'demo-account', 'demo-app' "
       "RETURNING meeting_id, data.stream_key")

path = sys.argv[1] if len(sys.argv) > 1 else "examples/meetings.csv"
with httpql.connect(emulator=True, concurrency=8) as conn, open(path, newline="") as f:
    run = conn.batch(SQL, csv.DictReader(f))  # records are read as they are needed
    for outcome in run:
        if outcome.ok:
            row = outcome.rows[0]
            print(f"record {outcome.index}: {row['meeting_id']} key {row['data.stream_key'][:8]}...")
        else:
            print(f"record {outcome.index}: {outcome.status}: {outcome.message}")
    print(run.summary())
