"""A paged SELECT through httpql versus bare httpx fetching the same pages and sorting in Python.

Setup (untimed): an in-process emulator holding 1,000 livestreams (created with plain httpx).

Each round times, alternating which side goes first:
  (a) httpql: one statement on one connection,
        SELECT l.name, l.id FROM cloudflare.realtime_kit.kit_livestreams, UNNEST(data) AS l
        WHERE account_id = ... AND app_id = ... AND per_page = 100
        ORDER BY name DESC LIMIT 50
      which follows the listing's 10 pages of 100 and sorts in SQLite;
  (b) httpx: the same 10 GETs (page_no=1..10, per_page=100) on one keep-alive httpx.Client,
      then the items sorted by name in Python and the first 50 kept.
Both answers are checked to be the same 50 names. Reported: the median time of each side and the
ratio httpql / httpx. Target: ratio <= 1.25. Exit code 0 either way: a measurement, not a test.

    python bench/paged_select.py            # 15 rounds
    python bench/paged_select.py --quick    # 3 rounds
    python bench/paged_select.py --json     # one JSON object on stdout
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import httpx

import httpql
from httpql.emulator import DEMO_ACCOUNT_ID, DEMO_APP_ID, Emulator

TARGET = 1.25
LIVESTREAMS, PER_PAGE, LIMIT = 1000, 100, 50
SQL = (f"SELECT l.name, l.id FROM cloudflare.realtime_kit.kit_livestreams, UNNEST(data) AS l "
       f"WHERE account_id = '{DEMO_ACCOUNT_ID}' AND app_id = '{DEMO_APP_ID}' "
       f"AND per_page = {PER_PAGE} ORDER BY name DESC LIMIT {LIMIT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds

    with Emulator() as emu:
        headers = {"Authorization": f"Bearer {emu.token}", "Accept": "application/json"}
        listing = f"{emu.base_url}/accounts/{DEMO_ACCOUNT_ID}/realtime/kit/{DEMO_APP_ID}/livestreams"
        with httpx.Client(headers=headers) as client:
            for i in range(LIVESTREAMS):
                client.post(listing, json={"name": f"stream-{i:04d}"}).raise_for_status()

            def bare() -> list[str]:
                items = []
                for page in range(1, LIVESTREAMS // PER_PAGE + 1):
                    r = client.get(listing, params={"page_no": page, "per_page": PER_PAGE})
                    r.raise_for_status()
                    items += r.json()["data"]
                items.sort(key=lambda s: s["name"], reverse=True)
                return [s["name"] for s in items[:LIMIT]]

            with httpql.connect(base_url=emu.base_url, token=emu.token,
                                rate_limit="none", page_limit=20) as conn:
                def ours() -> list[str]:
                    return [r["name"] for r in conn.execute(SQL)]

                if ours() != bare():
                    sys.exit("the two sides disagree: the benchmark would compare different work")
                times: dict[str, list[float]] = {"httpql": [], "httpx": []}
                for n in range(rounds):
                    order = [("httpql", ours), ("httpx", bare)]
                    for name, f in (order if n % 2 == 0 else order[::-1]):
                        started = time.perf_counter()
                        f()
                        times[name].append(time.perf_counter() - started)

    ours_ms = statistics.median(times["httpql"]) * 1000
    bare_ms = statistics.median(times["httpx"]) * 1000
    ratio = ours_ms / bare_ms
    if args.json:
        print(json.dumps({"httpql_ms": round(ours_ms, 2), "httpx_ms": round(bare_ms, 2),
                          "ratio": round(ratio, 3), "target": TARGET, "rounds": rounds}))
        return
    print(f"SELECT ... ORDER BY ... LIMIT {LIMIT} over {LIVESTREAMS} livestreams in "
          f"{LIVESTREAMS // PER_PAGE} pages of {PER_PAGE}, {rounds} rounds (medians)")
    print(f"  httpql: {ours_ms:8.1f} ms")
    print(f"  httpx:  {bare_ms:8.1f} ms  (the same GETs, sorted in Python)")
    print(f"  ratio:  {ratio:8.2f}  target <= {TARGET}: {'PASS' if ratio <= TARGET else 'MISS'}")


if __name__ == "__main__":
    main()
