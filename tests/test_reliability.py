"""End to end against the emulator with injected faults: what the user sees, and what the emulator
received (a POST is never sent twice unless the API refused it without acting, as on HTTP 429).

Every case records an evidence row (tests/evidence.py) for the table in docs/reliability.md.
"""

from __future__ import annotations

import email.utils
import socket
import time
import uuid

import evidence
import httpx
import pytest
from conftest import ACCOUNT, APP, RESOURCE, insert_sql, stop_sql

import httpql
from httpql.emulator import Emulator
from httpql.manifest import default_paths

FAST = dict(retry_max_wait=0.01, timeout=5.0)
ACTING_FAULTS = {None, "delay", "wrong_type"}  # faults whose request is still acted on
START = "start_livestreaming_a_meeting"
STOP = "stop_livestreaming_a_meeting"


@pytest.fixture(scope="module", autouse=True)
def _evidence():
    yield
    evidence.flush()


@pytest.fixture
def fast_conn(emulator):
    with httpql.connect(base_url=emulator.base_url, token=emulator.token, **FAST) as c:
        yield c


# --- helpers -------------------------------------------------------------------------------------


def run(conn, sql, params=None):
    """(rows, error); any exception that is not an httpql.Error fails the test."""
    try:
        return conn.execute(sql, params), None
    except httpql.Error as e:
        return None, e
    except Exception as e:  # pragma: no cover - the point of the suite
        pytest.fail(f"a non-httpql exception escaped: {type(e).__name__}: {e}")


def hedged(err) -> bool:
    """The error tells the user the operation may have happened."""
    text = str(err).lower()
    return isinstance(err, httpql.OutcomeUnknownError) or "may have" in text or "unknown" in text


def observe(emulator, area, case, rows, err, *, meeting=None, after=False, method="POST",
            expect_state=None, tried=1):
    """Record and return (requests seen, operations acted on, duplicated, lost)."""
    seen = [r for r in emulator.requests if r.method == method]
    acted = [r for r in seen if r.fault in ACTING_FAULTS or after]
    duplicated = len(acted) > 1
    lost = None
    if meeting is not None and method == "POST":
        live = emulator.active_livestream(meeting) is not None
        changed = live if expect_state is None else (live == expect_state)
        if err is None:
            lost = not changed  # success shown but nothing happened
        else:
            lost = changed and not hedged(err)  # it happened but the user was told it failed
    outcome = summary(rows, err)
    evidence.record(area, case, tried=tried, outcome=outcome, requests=len(seen),
                    duplicated=duplicated, lost=lost)
    return len(seen), len(acted), duplicated, lost


def summary(rows, err) -> str:
    """What the user saw, in one line: the error, or the row with long values shortened."""
    if err is not None:
        return f"{type(err).__name__}: {err}"
    if not rows:
        return "no rows"

    def short(v):
        if isinstance(v, dict):
            keys = list(v)
            return "{" + ", ".join(keys[:2]) + (f", ... {len(keys)} keys" if len(keys) > 2 else "") + "}"
        text = evidence.stable(repr(v))  # before cutting, so a random id becomes <uuid> whole
        return text if len(text) <= 24 else text[:21] + "..."

    return "row: " + ", ".join(f"{k}={short(v)}" for k, v in rows[0].items())


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- 429 -----------------------------------------------------------------------------------------


def test_429_then_success_waits_retry_after(emulator, meeting_id):
    emulator.inject("rate_limit", retry_after=0.3)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token) as conn:
        started = time.monotonic()
        rows, err = run(conn, insert_sql(meeting_id))
        elapsed = time.monotonic() - started
    assert err is None
    assert rows[0]["success"] is True and rows[0]["data"]["stream_key"]
    assert elapsed >= 0.3  # waited what Retry-After said
    assert [r.fault for r in emulator.requests] == ["rate_limit", None]
    n, acted, dup, lost = observe(emulator, "fault", "429 (Retry-After: 0.3) then success, POST",
                                  rows, err, meeting=meeting_id)
    assert (n, acted, dup, lost) == (2, 1, False, False)


def test_429_asking_for_longer_than_retry_max_wait_gives_up_at_once(emulator, meeting_id):
    emulator.inject("rate_limit", retry_after=3600)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token,
                        retry_max_wait=0.05) as conn:
        started = time.monotonic()
        rows, err = run(conn, insert_sql(meeting_id))
        elapsed = time.monotonic() - started
    assert isinstance(err, httpql.ApiError) and err.status == 429
    assert "asked to wait 3600 s" in str(err)
    assert elapsed < 3
    n, acted, dup, lost = observe(emulator, "fault", "429 with Retry-After: 3600 over --retry-max-wait",
                                  rows, err, meeting=meeting_id)
    assert (n, acted, dup, lost) == (1, 0, False, False)


def test_429_with_http_date_retry_after(emulator, meeting_id):
    when = email.utils.formatdate(time.time() + 1, usegmt=True)
    emulator.inject("status", status=429, retry_after=when)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token,
                        retry_max_wait=5) as conn:
        rows, err = run(conn, insert_sql(meeting_id))
    assert err is None and rows[0]["success"] is True
    n, acted, dup, lost = observe(emulator, "fault", "429 (Retry-After: HTTP date) then success",
                                  rows, err, meeting=meeting_id)
    assert (n, acted, dup, lost) == (2, 1, False, False)


def test_429_every_time_gives_up_after_max_attempts(emulator, fast_conn, meeting_id):
    emulator.inject("rate_limit", times=10, retry_after=0)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.ApiError) and not isinstance(err, httpql.OutcomeUnknownError)
    assert err.status == 429
    assert "HTTP 429" in str(err) and "gave up after 3 attempt(s)" in str(err)
    assert emulator.active_livestream(meeting_id) is None
    n, acted, dup, lost = observe(emulator, "fault", "429 every time, POST", rows, err,
                                  meeting=meeting_id)
    assert (n, acted, dup, lost) == (3, 0, False, False)


def test_retries_option_sets_the_number_of_attempts(emulator, meeting_id):
    emulator.inject("rate_limit", times=10, retry_after=0)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token, retries=0) as conn:
        rows, err = run(conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.ApiError) and err.status == 429
    assert "gave up after 1 attempt(s)" in str(err)
    assert len(emulator.requests) == 1


def test_retry_budget_stops_before_a_long_wait(emulator, meeting_id):
    emulator.inject("rate_limit", times=3, retry_after=30)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token,
                        retry_max_wait=60, retry_budget=1) as conn:
        started = time.monotonic()
        rows, err = run(conn, insert_sql(meeting_id))
        assert time.monotonic() - started < 3
    assert isinstance(err, httpql.ApiError) and err.status == 429
    assert "retry budget" in str(err)
    n, *_ = observe(emulator, "fault", "429 with Retry-After over the retry budget", rows, err,
                    meeting=meeting_id)
    assert n == 1


# --- 5xx and broken answers on POST: never sent twice ----------------------------------------------


def test_503_on_start_is_not_retried(emulator, fast_conn, meeting_id):
    emulator.inject("status", status=503)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OutcomeUnknownError)
    text = str(err)
    assert START in text and "HTTP 503" in text and "outcome is unknown" in text
    assert f"meetings/{meeting_id}/active-livestream" in text
    assert err.status == 503
    n, acted, dup, lost = observe(emulator, "fault", "503 on start (POST)", rows, err,
                                  meeting=meeting_id)
    assert (n, acted, dup, lost) == (1, 0, False, False)


def test_503_after_acting_is_still_sent_once(emulator, fast_conn, meeting_id):
    emulator.inject("status", status=503, after=True)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OutcomeUnknownError)
    assert "unknown" in str(err) and "active-livestream" in str(err)
    assert emulator.active_livestream(meeting_id) is not None  # the server did act
    n, acted, dup, lost = observe(emulator, "fault", "503 after the server acted (POST)", rows, err,
                                  meeting=meeting_id, after=True)
    assert (n, acted, dup, lost) == (1, 1, False, False)


@pytest.mark.parametrize("status", [502, 504])
def test_other_gateway_errors_on_start(emulator, fast_conn, meeting_id, status):
    emulator.inject("status", status=status)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OutcomeUnknownError) and err.status == status
    n, acted, dup, lost = observe(emulator, "fault", f"{status} on start (POST)", rows, err,
                                  meeting=meeting_id)
    assert (n, dup, lost) == (1, False, False)


def test_500_on_post_is_an_api_error_not_retried(emulator, fast_conn, meeting_id):
    emulator.inject("status", status=500)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.ApiError) and err.status == 500
    assert f"{START} failed: HTTP 500" in str(err)
    n, acted, dup, lost = observe(emulator, "fault", "500 on start (POST)", rows, err,
                                  meeting=meeting_id)
    assert (n, acted, dup, lost) == (1, 0, False, False)


@pytest.mark.parametrize("after", [False, True], ids=["before-acting", "after-acting"])
def test_dropped_connection_on_post(emulator, fast_conn, meeting_id, after):
    emulator.inject("drop", after=after)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OutcomeUnknownError)
    assert "connection broke" in str(err) and "active-livestream" in str(err)
    assert (emulator.active_livestream(meeting_id) is not None) is after
    label = "dropped connection (POST" + (", after acting)" if after else ")")
    n, acted, dup, lost = observe(emulator, "fault", label, rows, err, meeting=meeting_id,
                                  after=after)
    assert (n, dup, lost) == (1, False, False)


def test_delay_over_the_timeout_on_post(emulator, meeting_id):
    emulator.inject("delay", seconds=1.0)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token, timeout=0.3,
                        retry_max_wait=0.01) as conn:
        started = time.monotonic()
        rows, err = run(conn, insert_sql(meeting_id))
        assert time.monotonic() - started < 0.9
    assert isinstance(err, httpql.OutcomeUnknownError)
    text = str(err)
    assert START in text and "timeout" in text and "active-livestream" in text
    # the server acts once the delay is over: which is why the POST was not sent again
    assert wait_until(lambda: emulator.active_livestream(meeting_id) is not None)
    n, acted, dup, lost = observe(emulator, "fault", "slow answer over --timeout (POST)", rows, err,
                                  meeting=meeting_id)
    assert (n, acted, dup, lost) == (1, 1, False, False)


def test_truncated_body_on_post(emulator, fast_conn, meeting_id):
    emulator.inject("truncated", after=True)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OutcomeUnknownError)
    assert START in str(err)
    n, acted, dup, lost = observe(emulator, "fault", "truncated body (POST)", rows, err,
                                  meeting=meeting_id, after=True)
    assert (n, dup, lost) == (1, False, False)


@pytest.mark.parametrize("status", [502, 500, 403])
def test_html_error_page(emulator, fast_conn, meeting_id, status):
    emulator.inject("html", status=status)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.ApiError | httpql.OutcomeUnknownError)
    text = str(err)
    assert f"HTTP {status}" in text and "text/html" in text
    assert "</html>" not in text and "<center>cloudflare" not in text  # a snippet, not the page
    if status == 502:
        assert isinstance(err, httpql.OutcomeUnknownError)
    n, acted, dup, lost = observe(emulator, "fault", f"HTML error page {status} (POST)", rows, err,
                                  meeting=meeting_id)
    assert (n, dup, lost) == (1, False, False)


def test_non_json_success_body(emulator, fast_conn, meeting_id):
    emulator.inject("non_json", after=True)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OperationalError)
    assert "not JSON" in str(err) and "text/plain" in str(err) and "may have succeeded" in str(err)
    n, acted, dup, lost = observe(emulator, "fault", "non-JSON 200 body (POST)", rows, err,
                                  meeting=meeting_id, after=True)
    assert (n, dup, lost) == (1, False, False)


@pytest.mark.parametrize("returning", ["data, success", "data.id, data.status, success", "*"])
@pytest.mark.parametrize("kind", ["empty", "not_object", "wrong_type"])
def test_unexpected_shapes_give_a_best_effort_row(emulator, fast_conn, meeting_id, kind,
                                                  returning):
    emulator.inject(kind, after=True)
    rows, err = run(fast_conn, insert_sql(meeting_id, returning=returning))
    assert err is None, f"{kind}: {err}"
    assert isinstance(rows, list) and len(rows) == 1 and isinstance(rows[0], dict)
    if returning != "*":
        assert set(rows[0]) == {c.strip() for c in returning.split(",")}
    label = {"empty": "empty 201 body", "not_object": "JSON array, not an object",
             "wrong_type": "field of another type (data is a string)"}[kind]
    n, acted, dup, lost = observe(emulator, "fault", f"{label} (POST)", rows, err,
                                  meeting=meeting_id, after=True, tried=1)
    assert (n, dup, lost) == (1, False, False)


def test_empty_error_body(emulator, fast_conn, meeting_id):
    emulator.inject("empty", status=500)
    rows, err = run(fast_conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.ApiError) and err.status == 500
    assert "empty response body" in str(err)
    observe(emulator, "fault", "empty 500 body (POST)", rows, err, meeting=meeting_id)


def test_huge_body_over_the_cap(emulator, meeting_id):
    emulator.inject("huge", size=50_000)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token,
                        max_response_bytes=10_000, **FAST) as conn:
        rows, err = run(conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OperationalError)
    assert "50,000 bytes" in str(err) and "10,000-byte limit" in str(err)
    assert "--max-response-bytes" in str(err)
    n, acted, dup, lost = observe(emulator, "fault", "huge body over the cap (POST)", rows, err,
                                  meeting=meeting_id)
    assert (n, dup) == (1, False)


def test_huge_body_after_acting_warns_that_the_post_may_have_succeeded(emulator, meeting_id):
    """The cap is hit after a 201: the livestream exists, so the error must not read as a plain
    failure (the user would start it again)."""
    emulator.inject("huge", size=50_000, after=True)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token,
                        max_response_bytes=10_000, **FAST) as conn:
        rows, err = run(conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OperationalError)
    assert emulator.active_livestream(meeting_id) is not None
    n, acted, dup, lost = observe(emulator, "fault", "huge body over the cap (POST, after acting)",
                                  rows, err, meeting=meeting_id, after=True)
    assert n == 1 and not dup
    assert hedged(err), f"error reads as a plain failure though the POST succeeded: {err}"


def test_huge_streamed_body_without_content_length_is_capped():
    sent = []

    def handler(request):
        sent.append(request)
        return httpx.Response(201, content=iter([b'{"success": true, "data": {"x": "',
                                                 b"y" * 30_000, b'"}}']))

    with httpql.connect(token="t", transport=httpx.MockTransport(handler),
                        max_response_bytes=1_000) as conn:
        rows, err = run(conn, insert_sql(str(uuid.uuid4())))
    assert isinstance(err, httpql.OperationalError)
    assert "exceeded the 1,000-byte limit" in str(err)
    assert len(sent) == 1


def test_huge_body_under_the_default_cap_is_read(emulator, fast_conn, meeting_id):
    emulator.inject("huge", size=2_000_000)
    rows, err = run(fast_conn, insert_sql(meeting_id, returning="success"))
    assert err is None and rows == [{"success": True}]


# --- other operations ----------------------------------------------------------------------------


def test_503_on_stop_is_not_retried(emulator, fast_conn, meeting_id):
    fast_conn.execute(insert_sql(meeting_id))
    before = len(emulator.requests)
    emulator.inject("status", status=503, path_contains="/stop")
    rows, err = run(fast_conn, stop_sql(meeting_id))
    assert isinstance(err, httpql.OutcomeUnknownError)
    assert STOP in str(err) and "active-livestream" in str(err)
    stops = [r for r in emulator.requests[before:] if r.raw_path.endswith("/stop")]
    assert len(stops) == 1
    evidence.record("fault", "503 on stop (POST)", outcome=f"{type(err).__name__}: {err}",
                    requests=len(stops), duplicated=False, lost=False)


def test_drop_on_create_independent_livestream(emulator, fast_conn):
    emulator.inject("drop", after=True)
    rows, err = run(fast_conn, insert_sql(None, video=None))
    assert isinstance(err, httpql.OutcomeUnknownError)
    assert "create_independent_livestream" in str(err)
    assert "list the app's livestreams" in str(err)
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert len(posts) == 1
    evidence.record("fault", "dropped connection on create (POST, after acting)",
                    outcome=f"{type(err).__name__}: {err}", requests=1, duplicated=False,
                    lost=False)


def test_fault_on_second_row_of_a_multi_row_insert(emulator, fast_conn):
    m1, m2 = str(uuid.uuid4()), str(uuid.uuid4())
    emulator.inject("status", status=503, path_contains=m2)
    sql = (f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) "
           f"VALUES ('{m1}', '{ACCOUNT}', '{APP}'), ('{m2}', '{ACCOUNT}', '{APP}')")
    rows, err = run(fast_conn, sql)
    assert isinstance(err, httpql.OutcomeUnknownError)
    assert "row 2 of 2" in str(err) and "row 1 was sent and succeeded" in str(err)
    assert "row 2 may have been acted on" in str(err)
    assert emulator.active_livestream(m1) is not None
    paths = [r.raw_path for r in emulator.requests]
    assert len(paths) == 2 and m1 in paths[0] and m2 in paths[1]
    evidence.record("fault", "503 on row 2 of a 2-row INSERT", outcome=str(err), requests=2,
                    duplicated=False, lost=False)


# --- connection failures: nothing sent, so retried for any method ----------------------------------


def test_connection_refused_is_retried_and_explained():
    port = closed_port()
    trace = []
    with httpql.connect(base_url=f"http://127.0.0.1:{port}/client/v4", token="t",
                        retry_max_wait=0.01, http_log=trace.append) as conn:
        rows, err = run(conn, insert_sql(str(uuid.uuid4())))
    assert isinstance(err, httpql.OperationalError)
    assert not isinstance(err, httpql.OutcomeUnknownError)
    text = str(err)
    assert START in text and "could not connect to 127.0.0.1" in text
    assert "nothing was sent" in text and "gave up after 3 attempt(s)" in text
    attempts = [line for line in trace if line.startswith("> POST")]
    assert len(attempts) == 3  # a POST is retried when it never left
    evidence.record("fault", "connection refused (POST)", tried=1, outcome=summary(rows, err),
                    requests=0,
                    duplicated=False, lost=False)


# --- idempotent GET (toy manifest): retried ----------------------------------------------------------

TOY_PROVIDER = """\
id: toyprov
base_url: https://api.example.invalid/client/v4
auth: {type: bearer, credentials_env: TOYPROV_API_TOKEN}
services:
  kit: {title: Toy kit}
"""
TOY_RESOURCE = """\
name: active_livestreams
parameters:
  account_id: {in: path, type: string}
  app_id: {in: path, type: string}
  meeting_id: {in: path, type: string}
methods:
  - name: get_active_livestream
    sql_verb: select
    http_method: GET
    path: /accounts/{account_id}/realtime/kit/{app_id}/meetings/{meeting_id}/active-livestream
    required: [account_id, app_id, meeting_id]
    rows_at: $.data
"""


@pytest.fixture
def toy_paths(tmp_path):
    folder = tmp_path / "toyprov"
    (folder / "kit").mkdir(parents=True)
    (folder / "provider.yaml").write_text(TOY_PROVIDER)
    (folder / "kit" / "active_livestreams.yaml").write_text(TOY_RESOURCE)
    return [default_paths()[0], tmp_path]


@pytest.fixture
def get_conn(emulator, toy_paths, meeting_id):
    with httpql.connect(base_url=emulator.base_url, token=emulator.token, provider_paths=toy_paths,
                        retry_max_wait=0.01, timeout=0.4) as c:
        c.execute(insert_sql(meeting_id))
        yield c


def select_sql(meeting):
    return (f"SELECT id, status, meeting_id FROM toyprov.kit.active_livestreams "
            f"WHERE account_id = '{ACCOUNT}' AND app_id = '{APP}' AND meeting_id = '{meeting}'")


GET_FAULTS = [
    ("503", dict(kind="status", status=503), 2, None),
    ("502 HTML page", dict(kind="html"), 2, None),
    ("dropped connection", dict(kind="drop"), 2, None),
    ("truncated body", dict(kind="truncated"), 2, None),
    ("slow answer over the timeout", dict(kind="delay", seconds=0.8), 2, None),
    ("429", dict(kind="rate_limit", retry_after=0), 2, None),
    ("500", dict(kind="status", status=500), 1, httpql.ApiError),
    ("503 every time", dict(kind="status", status=503, times=5), 3, httpql.ApiError),
    ("dropped every time", dict(kind="drop", times=5), 3, httpql.OperationalError),
]


@pytest.mark.parametrize("label, fault, expected_gets, error",
                         GET_FAULTS, ids=[f[0] for f in GET_FAULTS])
def test_idempotent_get_is_retried(emulator, get_conn, meeting_id, label, fault, expected_gets,
                                   error):
    fault = dict(fault)
    kind, times = fault.pop("kind"), fault.pop("times", 1)
    emulator.inject(kind, times=times, method="GET", **fault)
    rows, err = run(get_conn, select_sql(meeting_id))
    gets = [r for r in emulator.requests if r.method == "GET"]
    if error is None:
        assert err is None, err
        assert rows[0]["meeting_id"] == meeting_id and rows[0]["status"] == "LIVE"
    else:
        assert isinstance(err, error) and not isinstance(err, httpql.OutcomeUnknownError)
        assert "get_active_livestream" in str(err)
        if expected_gets > 1:
            assert f"gave up after {expected_gets} attempt(s)" in str(err)
    assert len(gets) == expected_gets
    if kind == "delay":
        time.sleep(0.5)  # let the slow handler finish before the emulator is reset
    evidence.record("fault", f"{label} (idempotent GET)",
                    outcome=summary(rows, err),
                    requests=len(gets), duplicated=False, lost=False)


# --- the same faults through the CLI -----------------------------------------------------------------

CLI_FAULTS = [
    # label, inject kwargs, exit code, text expected on stderr, requests, acted
    ("503", dict(kind="status", status=503), 1, "outcome is unknown", 1),
    ("503 after acting", dict(kind="status", status=503, after=True), 1, "outcome is unknown", 1),
    ("500", dict(kind="status", status=500), 1, "HTTP 500", 1),
    ("429 every time", dict(kind="rate_limit", retry_after=0, times=10), 1, "HTTP 429", 3),
    ("429 once", dict(kind="rate_limit", retry_after=0), 0, "", 2),
    ("drop", dict(kind="drop"), 1, "outcome is unknown", 1),
    ("delay over --timeout", dict(kind="delay", seconds=1.0), 1, "timeout", 1),
    ("non_json", dict(kind="non_json", after=True), 1, "not JSON", 1),
    ("html", dict(kind="html"), 1, "text/html", 1),
    ("truncated", dict(kind="truncated", after=True), 1, "outcome is unknown", 1),
    ("empty", dict(kind="empty", after=True), 0, "", 1),
    ("not_object", dict(kind="not_object", after=True), 0, "", 1),
    ("wrong_type", dict(kind="wrong_type"), 0, "", 1),
    ("huge", dict(kind="huge", size=50_000), 1, "byte limit", 1),
]


@pytest.mark.parametrize("label, fault, code, expected, n", CLI_FAULTS,
                         ids=[f[0] for f in CLI_FAULTS])
def test_cli_faults(emulator, httpql_cli, meeting_id, label, fault, code, expected, n):
    fault = dict(fault)
    kind, times = fault.pop("kind"), fault.pop("times", 1)
    emulator.inject(kind, times=times, **fault)
    res = httpql_cli("exec", "-o", "json", "--retry-max-wait", "0.01", "--timeout", "0.4",
                     "--max-response-bytes", "10000", insert_sql(meeting_id))
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    assert res.code == code, res.stderr
    if code == 1:
        assert res.stderr.startswith("error: "), res.stderr
        assert expected in res.stderr, res.stderr
        if kind in ("status", "drop", "delay", "truncated") and fault.get("status", 503) != 500:
            assert START in res.stderr and "active-livestream" in res.stderr
    else:
        assert isinstance(res.json(), list) and len(res.json()) == 1
    if kind == "delay":
        assert wait_until(lambda: emulator.active_livestream(meeting_id) is not None)
    posts = [r for r in emulator.requests if r.method == "POST"]
    assert len(posts) == n
    acted = [r for r in posts if r.fault in ACTING_FAULTS or fault.get("after")]
    assert len(acted) <= 1
    evidence.record("cli", f"httpql exec with fault {label}",
                    outcome=f"exit {res.code}; " + (res.stderr.strip() if res.code else
                                                    summary(res.json(), None)),
                    requests=len(posts), duplicated=len(acted) > 1, lost=False)


def test_cli_connection_refused(httpql_cli, cli_env):
    env = dict(cli_env, CLOUDFLARE_BASE_URL=f"http://127.0.0.1:{closed_port()}/client/v4")
    res = httpql_cli("exec", "--retry-max-wait", "0.01", "--http-log", insert_sql(str(uuid.uuid4())),
                     env=env)
    assert res.code == 1 and "Traceback" not in res.stderr
    assert "could not connect" in res.stderr and "nothing was sent" in res.stderr
    assert res.stderr.count("> POST") == 3
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    evidence.record("cli", "httpql exec, connection refused", outcome=f"exit 1; {errors[-1]}",
                    requests=0, duplicated=False, lost=False)


def test_cli_retries_flag(emulator, httpql_cli, meeting_id):
    emulator.inject("rate_limit", times=10, retry_after=0)
    res = httpql_cli("exec", "--retries", "4", "--retry-max-wait", "0.01", insert_sql(meeting_id))
    assert res.code == 1 and "gave up after 5 attempt(s)" in res.stderr
    assert len(emulator.requests) == 5


# --- transport: https only (loopback excepted), no redirects ------------------------------------------


@pytest.mark.parametrize("url", [
    "http://example.com/client/v4", "http://api.cloudflare.com/client/v4",
    "http://localhost.example.com/client/v4", "http://127.0.0.1.nip.io/client/v4",
    "http://0.0.0.0:8787/client/v4", "http://10.0.0.1/client/v4", "ftp://127.0.0.1/client/v4",
    "file:///etc/passwd", "api.cloudflare.com/client/v4",
])
def test_plain_http_base_url_is_refused_before_sending(url):
    sent = []
    with pytest.raises(httpql.InterfaceError) as info:  # refused when connecting
        httpql.connect(base_url=url, token="t",
                       transport=httpx.MockTransport(lambda r: sent.append(r)))
    err = info.value
    assert "must be https://" in str(err) and "loopback" in str(err)
    assert sent == []
    evidence.record("transport", "non-https, non-loopback base URL", outcome=str(err), requests=0)


def test_cli_refuses_plain_http_base_url(httpql_cli):
    res = httpql_cli("exec", "--base-url", "http://example.com/client/v4",
                     insert_sql(str(uuid.uuid4())))
    assert res.code == 2 and "must be https://" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:1/client/v4", "http://localhost:1/client/v4", "http://[::1]:1/client/v4",
    "http://127.0.0.2/client/v4", "HTTP://LOCALHOST/client/v4", "https://api.example.com/v4",
])
def test_loopback_and_https_base_urls_are_accepted(url):
    with httpql.connect(base_url=url, dry_run=True) as conn:
        (result,) = list(conn.run(insert_sql(str(uuid.uuid4()))))
    assert result.requests[0].url.lower().startswith(url.rstrip("/").lower())


def test_localhost_reaches_the_emulator(emulator, meeting_id):
    url = emulator.base_url.replace("127.0.0.1", "localhost")
    with httpql.connect(base_url=url, token=emulator.token) as conn:
        rows, err = run(conn, insert_sql(meeting_id))
    assert err is None and rows[0]["success"] is True
    assert len(emulator.requests) == 1


def test_ipv6_loopback_reaches_an_emulator(meeting_id):
    try:
        emu = Emulator(host="::1").start()
    except OSError as e:
        pytest.skip(f"no IPv6 loopback here: {e}")
    try:
        with httpql.connect(base_url=emu.base_url, token=emu.token) as conn:
            rows, err = run(conn, insert_sql(meeting_id))
        assert err is None and rows[0]["success"] is True
        assert emu.base_url.startswith("http://[::1]:")
    finally:
        emu.stop()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_not_followed(status):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(status, headers={"Location": "https://evil.example/steal"})

    with httpql.connect(base_url="https://api.cloudflare.com/client/v4", token="t",
                        transport=httpx.MockTransport(handler)) as conn:
        rows, err = run(conn, insert_sql(str(uuid.uuid4())))
    assert isinstance(err, httpql.ApiError) and err.status == status
    assert f"HTTP {status}" in str(err)
    assert len(seen) == 1 and seen[0].url.host == "api.cloudflare.com"
    evidence.record("transport", "3xx redirect to another host", tried=1,
                    outcome=f"{type(err).__name__}: {err}", requests=len(seen),
                    duplicated=False, lost=False)


def test_redirect_on_get_is_not_followed(toy_paths):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://evil.example/steal"})

    with httpql.connect(token="t", provider_paths=toy_paths,
                        transport=httpx.MockTransport(handler)) as conn:
        rows, err = run(conn, select_sql(str(uuid.uuid4())))
    assert isinstance(err, httpql.ApiError) and err.status == 302
    assert [r.url.host for r in seen] == ["api.example.invalid"]


def test_a_slow_trickle_is_stopped_by_the_total_timeout():
    """Each chunk arrives well within the read timeout, but the whole answer would take seconds:
    the total timeout ends it, a POST is not sent again, and the error says which timeout."""
    sent = []

    def trickle():
        yield b'{"success": true, "data": {"x": "'
        for _ in range(100):
            time.sleep(0.02)
            yield b"y"
        yield b'"}}'

    def handler(request):
        sent.append(request)
        return httpx.Response(201, content=trickle())

    with httpql.connect(token="t", transport=httpx.MockTransport(handler), timeout=5.0,
                        total_timeout=0.3) as conn:
        started = time.monotonic()
        rows, err = run(conn, insert_sql(str(uuid.uuid4())))
        took = time.monotonic() - started
    assert isinstance(err, httpql.OutcomeUnknownError), err
    assert "0.3 s total timeout" in str(err) and START in str(err)
    assert len(sent) == 1
    assert took < 1.5
    evidence.record("fault", "slow trickle past --total-timeout (POST)", outcome=f"{type(err).__name__}: {err}",
                    requests=len(sent), duplicated=False, lost=False)


def test_timeout_error_names_the_operation_and_the_seconds(emulator, meeting_id):
    emulator.inject("delay", seconds=1.0)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token, timeout=0.2,
                        retry_max_wait=0.01) as conn:
        rows, err = run(conn, insert_sql(meeting_id))
    assert isinstance(err, httpql.OutcomeUnknownError)
    assert START in str(err) and "0.2 s timeout" in str(err) and "--timeout" in str(err)
    time.sleep(1.0)  # let the emulator finish the delayed request before the next test


@pytest.mark.parametrize(("status", "kind", "sent"), [
    (503, httpql.OutcomeUnknownError, 1),  # a POST that may have acted: hedged, not retried
    (429, httpql.ApiError, 3),             # refused without acting: retried as usual
    (404, httpql.ApiError, 1),
])
def test_an_error_answer_over_the_cap_is_still_classified_by_its_status(status, kind, sent):
    calls = []

    def handler(request):
        calls.append(request)
        headers = {"content-type": "text/html"}
        if status == 429:
            headers["retry-after"] = "0"
        return httpx.Response(status, headers=headers, content=b"<html>" + b"x" * 50_000)

    with httpql.connect(token="t", transport=httpx.MockTransport(handler),
                        max_response_bytes=1_000, retry_max_wait=0.01) as conn:
        rows, err = run(conn, insert_sql(str(uuid.uuid4())))
    assert type(err) is kind, err
    assert str(status) in str(err) and len(calls) == sent
    evidence.record("fault", f"HTTP {status} with an error page over the response cap (POST)",
                    outcome=f"{type(err).__name__}: {err}", requests=len(calls),
                    duplicated=status != 429 and len(calls) > 1, lost=False)


def test_a_deeply_nested_2xx_body_is_a_clear_error_that_says_the_post_may_have_succeeded():
    def handler(request):
        return httpx.Response(201, content=b"[" * 100_000 + b"]" * 100_000)

    with httpql.connect(token="t", transport=httpx.MockTransport(handler)) as conn:
        rows, err = run(conn, insert_sql(str(uuid.uuid4())))
    assert isinstance(err, httpql.OperationalError), err
    assert "may have succeeded" in str(err)
    evidence.record("fault", "201 whose JSON nests 100,000 levels deep", outcome=f"{type(err).__name__}: {err}",
                    requests=1, duplicated=False, lost=False)


def test_http_log_closes_every_attempt_even_when_the_answer_is_refused():
    lines = []

    def handler(request):
        return httpx.Response(201, headers={"content-type": "text/plain"}, content=b"OK")

    with httpql.connect(token="t", transport=httpx.MockTransport(handler),
                        http_log=lines.append) as conn:
        rows, err = run(conn, insert_sql(str(uuid.uuid4())))
    assert isinstance(err, httpql.OperationalError)
    assert lines[0].startswith("> POST ") and lines[1].startswith("< answer refused after ")
