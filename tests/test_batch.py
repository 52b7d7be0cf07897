"""Batches against the emulator: one outcome per record in input order, nothing lost."""

from __future__ import annotations

import _thread
import json
import threading
import time
import uuid

import pytest
from conftest import ACCOUNT, APP, RESOURCE

import httpql
from httpql import batch as batch_module
from httpql.errors import ApiError
from httpql.http.ratelimit import RateLimiter
from httpql.http.retry import Retrying, RetryPolicy
from httpql.plan import Request

START = (f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) VALUES (?, ?, ?) "
         "RETURNING meeting_id, data.stream_key")
STOP = (f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id=:meeting_id, "
        f"@account_id='{ACCOUNT}', @app_id='{APP}'")


def _meetings(n):
    return [str(uuid.uuid4()) for _ in range(n)]


def test_300_records_with_4_bad_give_300_outcomes_in_order(conn, emulator):
    meetings = _meetings(300)
    meetings[41], meetings[150] = "not-a-uuid", "also bad"  # refused before sending
    for busy in (meetings[9], meetings[199]):  # already live: the API answers 409
        conn.execute(START, [busy, ACCOUNT, APP])
    emulator.reset()
    for busy in (meetings[9], meetings[199]):
        conn.execute(START, [busy, ACCOUNT, APP])
    sent_before = len(emulator.requests)
    cur = conn.cursor()
    with pytest.raises(httpql.BatchError) as info:
        cur.executemany(START, [[m, ACCOUNT, APP] for m in meetings], concurrency=8)
    outcomes = info.value.outcomes
    assert cur.outcomes == outcomes and len(outcomes) == 300
    assert [o.index for o in outcomes] == list(range(1, 301))
    bad = {o.index: o.status for o in outcomes if o.status != "ok"}
    assert bad == {42: "invalid", 151: "invalid", 10: "failed", 200: "failed"}
    assert isinstance(outcomes[41].error, httpql.DataError) and "record 42" in outcomes[41].message
    assert outcomes[9].error.status == 409 and outcomes[9].http_status == 409
    assert "already has an active livestream" in outcomes[9].message
    assert "296 ok, 2 invalid: records 42, 151; 2 failed: records 10, 200" in str(info.value)
    # the emulator saw exactly the 298 valid records, and the 296 successes are live
    assert len(emulator.requests) - sent_before == 298
    rows = cur.fetchall()
    assert [r[0] for r in rows] == [m for i, m in enumerate(meetings) if i + 1 not in bad]
    for (meeting, key), outcome in zip(rows, [o for o in outcomes if o.ok]):
        assert emulator.active_livestream(meeting)["stream_key"] == key == outcome.rows[0][
            "data.stream_key"]


def test_every_invalid_set_is_reported_and_stop_sends_nothing(conn, emulator):
    sets = [[m, ACCOUNT, APP] for m in _meetings(6)]
    sets[1][0], sets[4][2] = "bad", "x" * 40
    with pytest.raises(httpql.BatchError) as info:
        conn.cursor().executemany(START, sets, on_error="stop")
    assert [o.status for o in info.value.outcomes] == ["not_sent", "invalid", "not_sent",
                                                       "not_sent", "invalid", "not_sent"]
    assert "app_id" in info.value.outcomes[4].message
    assert emulator.requests == []


def test_on_error_stop_stops_at_the_first_failure(emulator):
    with httpql.connect(base_url=emulator.base_url, token=emulator.token, concurrency=1,
                        on_error="stop") as conn:
        sets = [[m, ACCOUNT, APP] for m in _meetings(5)]
        sets[2][2] = "no-such-app"  # the API answers 404
        with pytest.raises(httpql.BatchError) as info:
            conn.cursor().executemany(START, sets)
    assert [o.status for o in info.value.outcomes] == ["ok", "ok", "failed", "not_sent",
                                                       "not_sent"]
    assert len(emulator.requests) == 3


def test_conn_batch_streams_outcomes_and_checks_each_record_on_its_own(conn, emulator):
    meetings = _meetings(5)
    for m in meetings[:4]:
        conn.execute(START, [m, ACCOUNT, APP])
    records = iter([{"meeting_id": meetings[0]}, {"meeting_id": "nope"},
                    {"meeting_id": meetings[1]}, {"meeting_id": meetings[4]},  # not live: 400
                    {"meeting_id": meetings[3]}])
    run = conn.batch(STOP + " RETURNING meeting_id", records)
    statuses = [(o.index, o.status, o.http_status) for o in run]
    assert statuses == [(1, "ok", 200), (2, "invalid", None), (3, "ok", 200),
                        (4, "failed", 400), (5, "ok", 200)]
    assert run.summary() == "3 ok, 1 invalid: record 2; 1 failed: record 4"
    assert emulator.active_livestream(meetings[2]) is not None
    assert all(emulator.active_livestream(m) is None for m in (meetings[0], meetings[1],
                                                               meetings[3]))


def test_exec_returning_names_its_own_parameters(conn, emulator):
    m = _meetings(1)[0]
    conn.execute(START, [m, ACCOUNT, APP])
    rows = conn.execute(STOP + " RETURNING meeting_id, data.message", {"meeting_id": m})
    assert rows == [{"meeting_id": m, "data.message": "Stopped live stream successfully"}]


def test_limiter_keeps_its_budget_with_a_fake_clock():
    now = [100.0]
    limiter = RateLimiter(3, 10.0, clock=lambda: now[0])
    assert [limiter.wait(now[0]) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait(now[0]) == 10.0  # the fourth waits for the first to leave the window
    now[0] += 4
    assert limiter.wait(now[0]) == 6.0
    now[0] += 6
    assert [limiter.wait(now[0]) for _ in range(3)] == [0.0, 0.0, 0.0]  # the window moved on
    assert limiter.wait(now[0]) == 10.0
    # no window of 10 s ever holds more than 3 sends
    sent = []
    for _ in range(30):
        while (w := limiter.wait(now[0])) > 0:
            now[0] += w
        sent.append(now[0])
    assert all(sent[i + 3] - sent[i] >= 10.0 for i in range(len(sent) - 3))


def test_a_429_pauses_every_request_of_the_connection():
    now, slept, others = [0.0], [], []
    req = Request("POST", "https://api.example.com/x", operation="op")
    answers = [ApiError("rate limited", status=429, headers={"retry-after": "5"}), "done"]

    def attempt():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sleep(seconds):
        if not others:  # meanwhile another worker, one second in, must wait out the pause too
            others.append(limiter.wait(1.0))
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(clock=lambda: now[0], sleep=sleep)  # no budget: only the pause
    assert Retrying(RetryPolicy(sleep=sleep), req).run(attempt, limiter) == "done"
    assert others == [4.0] and slept == [5.0] and now[0] == 5.0
    assert limiter.wait(now[0]) == 0.0


def test_a_429_in_a_batch_is_retried_and_nothing_is_lost(conn, emulator):
    emulator.inject("rate_limit", retry_after=0.2)
    sets = [[m, ACCOUNT, APP] for m in _meetings(8)]
    cur = conn.cursor()
    cur.executemany(START, sets)
    assert [o.status for o in cur.outcomes] == ["ok"] * 8 and len(cur.fetchall()) == 8
    assert len(emulator.requests) == 9
    assert any(lim._paused_until > 0 for lim in conn._limiters.values())


def test_interrupt_marks_requests_in_flight_unknown_and_the_rest_not_sent(conn, emulator,
                                                                          monkeypatch):
    monkeypatch.setattr(batch_module, "GRACE_SECONDS", 0.2)
    emulator.inject("delay", times=2, seconds=1.0)
    sets = [[m, ACCOUNT, APP] for m in _meetings(12)]
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(httpql.Interrupted) as info:
            conn.cursor().executemany(START, sets, concurrency=2)
    finally:
        timer.cancel()
        time.sleep(1.0)  # let the emulator finish the delayed requests before the next test
    statuses = [o.status for o in info.value.outcomes]
    assert len(statuses) == 12
    assert statuses[:2] == ["unknown", "unknown"] and set(statuses[2:]) == {"not_sent"}
    assert "2 unknown: records 1, 2" in str(info.value)


def test_each_csv_runs_the_script_per_record(httpql_cli, emulator, tmp_path):
    meetings = _meetings(4)
    meetings[2] = "bad"
    path = tmp_path / "meetings.csv"
    path.write_text("meeting_id,name\n" + "".join(f"{m},s{i}\n" for i, m in enumerate(meetings)))
    script = tmp_path / "start.sql"
    script.write_text(f"INSERT INTO {RESOURCE} (meeting_id, name, account_id, app_id) SELECT "
                      f":meeting_id, '{{{{ name }}}}', '{ACCOUNT}', '{APP}' "
                      "RETURNING meeting_id, data.stream_key;")
    r = httpql_cli("exec", "-f", str(script), "--each", str(path), "-o", "ndjson")
    assert r.code == 1
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["record"], x["status"]) for x in rows] == [(1, "ok"), (2, "ok"), (3, "invalid"),
                                                          (4, "ok")]
    assert rows[0]["meeting_id"] == meetings[0] and rows[0]["error"] is None
    assert emulator.active_livestream(meetings[0])["stream_key"] == rows[0]["data.stream_key"]
    assert "UUID" in rows[2]["error"]
    assert r.stderr.strip().endswith("3 ok, 1 invalid: record 3")
    names = [json.loads(q.body)["name"] for q in emulator.requests]
    assert sorted(names) == ["s0", "s1", "s3"]  # sent concurrently, in any order


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_each_ndjson_from_a_file_or_stdin(httpql_cli, emulator, tmp_path, source):
    meetings = _meetings(3)
    for m in meetings[:2]:
        emulator_start(emulator, m)
    lines = "".join(json.dumps({"meeting_id": m}) + "\n" for m in meetings) + "[1]\n"
    path = tmp_path / "stop.ndjson"
    path.write_text(lines)
    args = ["exec", STOP, "-o", "csv"]
    r = httpql_cli(*args, "--each", str(path)) if source == "file" else \
        httpql_cli(*args, "--each", "-", input=lines)
    assert r.code == 1, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == "record,status,http_status,error"
    assert [line.split(",")[:3] for line in out[1:]] == [["1", "ok", "200"], ["2", "ok", "200"],
                                                         ["3", "failed", "400"],
                                                         ["4", "invalid", ""]]
    assert "No active livestream" in out[3] and "must be a JSON object" in out[4]


def test_each_dry_run_sends_nothing(httpql_cli, emulator, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"meeting_id": m} for m in _meetings(3)]))
    r = httpql_cli("exec", STOP, "--each", str(path), "--dry-run", "-o", "ndjson")
    assert r.code == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["record"] for x in rows] == [1, 2, 3]
    assert rows[0]["headers"]["Authorization"] == "Bearer ****"
    assert emulator.requests == []


def emulator_start(emulator, meeting):
    import httpx

    httpx.post(f"{emulator.base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}/meetings/{meeting}"
               "/livestreams", headers={"Authorization": f"Bearer {emulator.token}"},
               json={}).raise_for_status()


def test_async_gives_the_same_outcomes_as_sync(emulator):
    import asyncio

    def sets():
        out = [[m, ACCOUNT, APP] for m in _meetings(10)]
        out[2][0], out[6][2] = "bad", "no-such-app"
        return out

    with httpql.connect(base_url=emulator.base_url, token=emulator.token) as conn:
        cur = conn.cursor()
        with pytest.raises(httpql.BatchError) as sync_info:
            cur.executemany(START, sets())
        sync_rows = len(cur.fetchall())

    async def main():
        async with await httpql.connect_async(base_url=emulator.base_url,
                                              token=emulator.token) as aconn:
            acur = aconn.cursor()
            with pytest.raises(httpql.BatchError) as info:
                await acur.executemany(START, sets())
            rows = await aconn.execute(START, [_meetings(1)[0], ACCOUNT, APP])
            streamed = [(o.index, o.status) async for o in aconn.batch(
                STOP, [{"meeting_id": m} for m in _meetings(2)])]
            return info.value, len(acur.fetchall()), rows, streamed

    async_error, async_rows, rows, streamed = asyncio.run(main())
    assert [(o.index, o.status, o.http_status) for o in async_error.outcomes] == \
        [(o.index, o.status, o.http_status) for o in sync_info.value.outcomes]
    assert [o.status for o in async_error.outcomes].count("ok") == 8 == async_rows == sync_rows
    assert type(async_error.outcomes[2].error) is type(sync_info.value.outcomes[2].error)
    assert str(async_error).split("; first")[0] == str(sync_info.value).split("; first")[0]
    assert rows[0]["data.stream_key"] and streamed == [(1, "failed"), (2, "failed")]


def test_exec_showresults_shows_the_answers_rows(conn):
    m = _meetings(1)[0]
    conn.execute(START, [m, ACCOUNT, APP])
    rows = conn.execute(STOP.replace("EXEC ", "EXEC /*+ SHOWRESULTS */ "), {"meeting_id": m})
    assert rows == [{"success": True, "data": {"message": "Stopped live stream successfully"}}]
    conn.execute(START, [m, ACCOUNT, APP])
    (result,) = conn.run(STOP.replace("EXEC ", "EXEC /*+ NOSUCH */ "), {"meeting_id": m})
    assert result.warnings == ["hint /*+ NOSUCH */ is unknown and was ignored (known: AWAIT, "
                               "SHOWRESULTS, REQUIRED)"]


def test_pandas_frames_from_rows_and_outcomes(conn):
    pd = pytest.importorskip("pandas")
    cur = conn.cursor()
    sets = [[m, ACCOUNT, APP] for m in _meetings(3)]
    cur.executemany(START, sets)
    frame = cur.to_pandas()
    assert list(frame.columns) == ["meeting_id", "data.stream_key"]
    assert list(frame["meeting_id"]) == [s[0] for s in sets]
    outcomes = pd.DataFrame(cur.outcomes)
    assert list(outcomes["status"]) == ["ok"] * 3 and list(outcomes["index"]) == [1, 2, 3]
    frame = conn.read_pandas(STOP + " RETURNING meeting_id, data.message",
                             {"meeting_id": sets[0][0]})
    assert frame.shape == (1, 2)


def test_without_pandas_the_error_names_the_extra(conn, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(httpql.InterfaceError, match=r"httpql\[pandas\]"):
        conn.read_pandas(f"SHOW METHODS IN {RESOURCE}")


def test_each_sigterm_stops_sending_keeps_what_was_answered_and_exits_143(cli_env, emulator,
                                                                          tmp_path):
    import signal
    import subprocess
    import sys

    emulator.inject("delay", times=2, seconds=1.0)
    path = tmp_path / "r.ndjson"
    path.write_text("".join(json.dumps({"meeting_id": m}) + "\n" for m in _meetings(10)))
    proc = subprocess.Popen([sys.executable, "-m", "httpql", "exec", START.replace(
        "VALUES (?, ?, ?)", f"SELECT :meeting_id, '{ACCOUNT}', '{APP}'"), "--each", str(path),
        "-o", "ndjson", "--concurrency", "2"], env=cli_env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while len(emulator.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # until the first two records are in flight, held by the emulator
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["status"] for r in rows[:2]] == ["ok", "ok"]  # answered within the grace period
    assert {r["status"] for r in rows[2:]} <= {"not_sent"} and len(emulator.requests) == 2
    assert "interrupted: 2 ok" in err and "Traceback" not in err


def test_async_executemany_checks_its_parameter_sets_like_the_sync_one(emulator):
    import asyncio

    async def go():
        async with await httpql.connect_async(base_url=emulator.base_url,
                                              token=emulator.token) as conn:
            cur = conn.cursor()
            with pytest.raises(httpql.ProgrammingError, match="sequence of parameter sets"):
                await cur.executemany(START, 5)

    asyncio.run(go())
    assert emulator.requests == []


def test_async_multi_row_failure_keeps_earlier_rows_with_their_columns(emulator):
    import asyncio

    m = _meetings(1)[0]
    sql = (f"INSERT INTO cloudflare.realtime_kit.livestreams (meeting_id, account_id, app_id) "
           f"VALUES ('{m}', '{ACCOUNT}', '{APP}'), ('{m}', '{ACCOUNT}', '{APP}') RETURNING success")

    async def go():
        async with await httpql.connect_async(base_url=emulator.base_url,
                                              token=emulator.token) as conn:
            with pytest.raises(httpql.ApiError) as info:
                await conn.execute(sql)
        return info.value

    e = asyncio.run(go())
    assert "row 2 of 2" in str(e) and "row 1 was sent and succeeded" in str(e)
    assert e.partial.columns == ["success"] and e.partial.rows == [{"success": True}]
