"""The emulator answers every generated operation: the three livestream writes as before, the
rest with an example built from the response schema, the same each time."""

from __future__ import annotations

import json
from pathlib import Path

from test_statements import CASES

import httpql
from httpql.emulator import DEMO_ACCOUNT_ID, DEMO_APP_ID

START = "livestreams.start_livestreaming_a_meeting"
STOP = "livestreams.stop_livestreaming_a_meeting"


def _statements() -> list[tuple[str, str]]:
    """(label, sql) for the 63 statements, against the emulator's account and app; the meeting's
    livestream is started first and stopped last (reading it in between)."""
    out = [(c.id, c.values[0].replace("'acc1'", f"'{DEMO_ACCOUNT_ID}'")
            .replace("'app1'", f"'{DEMO_APP_ID}'")) for c in CASES]
    out.sort(key=lambda pair: (pair[0] != START) + (pair[0] == STOP))
    return out


def test_every_statement_runs_against_the_emulator(conn, emulator):
    results = {}
    for label, sql in _statements():
        [result] = list(conn.run(sql))
        assert all(200 <= s < 300 for s in result.statuses), label
        results[label] = (result.columns, result.rows, result.message)
    assert len(results) == 63 and len(emulator.requests) == 63
    # a list's rows come from where the manifest says (objectKey), shaped by the schema
    columns, rows, _ = results["kit_meetings.list_by_account"]
    assert len(rows) == 1 and {"id", "title", "status"} <= set(columns)
    assert rows[0]["status"] in ("ACTIVE", "INACTIVE")
    columns, rows, _ = results["relays.list"]
    assert rows and "uid" in columns  # relays keep their rows under $.result
    columns, rows, _ = results["meetings.update_meeting_by_id"]
    assert columns == ["data", "success"] and rows[0]["success"] is True
    assert isinstance(rows[0]["data"]["title"], str)
    assert "despatched successfully" in results["active_session.kick_all"][2]


def test_example_answers_are_deterministic(conn):
    sql = (f"SELECT * FROM cloudflare.realtime_kit.presets WHERE account_id = '{DEMO_ACCOUNT_ID}' "
           f"AND app_id = '{DEMO_APP_ID}' AND preset_id = 'p1'")
    first, second = conn.execute(sql), conn.execute(sql)
    assert first == second and json.dumps(first)


def test_the_livestream_writes_stay_stateful(conn, emulator, meeting_id):
    where = (f"@meeting_id='{meeting_id}', @account_id='{DEMO_ACCOUNT_ID}', "
             f"@app_id='{DEMO_APP_ID}'")
    stop = f"EXEC cloudflare.realtime_kit.livestreams.stop_livestreaming_a_meeting {where}"
    try:
        conn.execute(stop)
        raise AssertionError("stopping a meeting that is not live must fail")
    except httpql.ApiError as e:
        assert e.status == 400
    conn.execute(f"INSERT INTO cloudflare.realtime_kit.livestreams (meeting_id, account_id, "
                 f"app_id) SELECT '{meeting_id}', '{DEMO_ACCOUNT_ID}', '{DEMO_APP_ID}'")
    rows = conn.execute(f"SELECT * FROM cloudflare.realtime_kit.livestreams_active_livestream "
                        f"WHERE meeting_id = '{meeting_id}' AND account_id = '{DEMO_ACCOUNT_ID}' "
                        f"AND app_id = '{DEMO_APP_ID}'")
    assert rows[0]["data"]["meeting_id"] == meeting_id and rows[0]["data"]["status"] == "LIVE"
    conn.execute(stop)
    assert emulator.active_livestream(meeting_id) is None


def test_unknown_paths_and_other_accounts_are_refused(emulator):
    import httpx

    headers = {"Authorization": f"Bearer {emulator.token}"}
    base = f"{emulator.base_url}/accounts/{DEMO_ACCOUNT_ID}/realtime/kit/{DEMO_APP_ID}"
    assert httpx.get(f"{base}/nothing-here", headers=headers).status_code == 404
    r = httpx.delete(f"{base}/meetings", headers=headers)
    assert r.status_code == 405 and "GET" in r.headers["allow"] and "POST" in r.headers["allow"]
    other = f"{emulator.base_url}/accounts/someone-else/realtime/kit/{DEMO_APP_ID}/presets"
    assert httpx.get(other, headers=headers).status_code == 404
    assert httpx.get(f"{base}/presets").status_code == 401


def test_the_readme_tour_of_every_verb_runs_against_the_emulator(conn):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("One statement of each verb")[1].split("```sql")[1].split("```")[0]
    results = list(conn.run(block))
    assert [type(r.statement).__name__ for r in results] == [
        "Select", "Insert", "Update", "Replace", "Delete", "Exec"]
    plans = [conn.planner.plan(r.statement) for r in results]
    assert [p.requests[0].method for p in plans] == ["GET", "POST", "PATCH", "PUT", "DELETE", "POST"]
    assert all(200 <= r.statuses[0] < 300 for r in results)  # each one was sent and answered
    assert results[2].columns == ["data", "success"] and results[0].rows
