"""Correctness and security defects found by trying httpql as a new user and against hostile
servers: each test here failed before its fix.

Hostile servers are httpx.MockTransport handlers (the answer is what matters, not the socket);
the CLI cases run the real command against the emulator.
"""

from __future__ import annotations

import json

import evidence
import httpx
import pytest
from conftest import ACCOUNT, APP, RESOURCE, insert_sql

import httpql

TOKEN = "s3cr3t-T0KEN-abcdef0123456789"
MEETING = "5b8e2a3c-6f1d-4c2b-9a7e-0d3f4e5a6b7c"
BASE = "http://127.0.0.1:9/client/v4"


@pytest.fixture(scope="module", autouse=True)
def _evidence():
    yield
    evidence.flush()


def hostile(handler, **options):
    return httpql.connect(token=TOKEN, base_url=BASE, transport=httpx.MockTransport(handler),
                          retries=0, **options)


def start(returning: str | None = "data.id, success", rows: int = 1) -> str:
    values = " UNION ALL ".join(f"SELECT 'n{i}', '{MEETING}', '{ACCOUNT}', '{APP}'"
                                for i in range(rows))
    ret = f" RETURNING {returning}" if returning else ""
    return f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) {values}{ret}"


# --- 1. "success": false in a 2xx answer is a failure ---------------------------------------------

@pytest.mark.parametrize("envelope", [
    {"success": False, "errors": [{"code": 1234, "message": "meeting is not active"}]},
    {"success": False, "error": {"code": 1234, "message": "meeting is not active"}},
], ids=["errors-list", "error-object"])
def test_success_false_is_an_api_error_in_both_envelopes(envelope):
    with hostile(lambda r: httpx.Response(200, json=envelope)) as conn:
        with pytest.raises(httpql.ApiError) as info:
            conn.execute(start())
    e = info.value
    assert e.status == 200 and e.code == 1234 and e.api_message == "meeting is not active"
    assert '"success": false' in str(e) and "meeting is not active" in str(e)
    evidence.record("envelope", f"HTTP 200 with success:false ({list(envelope)[1]})",
                    outcome=f"ApiError: {e}")


@pytest.mark.parametrize(("status", "noted"), [(201, False), (200, True), (204, True)])
def test_any_2xx_is_a_success_and_one_the_manifest_does_not_declare_is_noted(status, noted):
    # start_livestreaming_a_meeting declares 201; a 200 or 204 still means it was done, so it is
    # never reported as a failure (that would invite a second start), but the trace says so
    body = {"success": True, "data": {"id": "ls-1"}} if status != 204 else None
    trace: list[str] = []
    with hostile(lambda r: httpx.Response(status, json=body), http_log=trace.append) as conn:
        rows = conn.execute(start("data.id"))
    assert rows == [{"data.id": "ls-1" if body else None}]
    [answer] = [line for line in trace if line.startswith("<")]
    assert answer.startswith(f"< HTTP {status} in ")
    assert ("not a status the manifest declares for start_livestreaming_a_meeting: 201"
            in answer) is noted


def test_success_false_keeps_the_rows_that_came_back_before_it():
    answers = iter([{"success": True, "data": {"id": "ls-1"}},
                    {"success": False, "errors": [{"code": 7, "message": "quota"}]}])
    with hostile(lambda r: httpx.Response(201, json=next(answers))) as conn:
        with pytest.raises(httpql.ApiError) as info:
            conn.execute(start(rows=3))
    assert info.value.partial.rows == [{"data.id": "ls-1", "success": True}]
    assert "row 2 of 3" in str(info.value)


def test_success_false_from_the_cli_exits_1(httpql_cli, emulator, meeting_id):
    emulator.inject("success_false")
    r = httpql_cli("exec", insert_sql(meeting_id))
    assert r.code == 1, r
    assert "despatched" not in r.stderr and '"success": false' in r.stderr


# --- 2. the token never comes back through an answer ---------------------------------------------

def _echo(status: int):
    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        return httpx.Response(status, json={
            "success": status < 300, "data": {"id": auth, "stream_key": f"token={TOKEN[3:]}{auth[7:]}"},
            "errors": [{"code": 9, "message": f"bad header: {auth}"}]},
            headers={"X-Echo": auth})
    return handler


def test_an_echoed_token_is_masked_in_errors_and_their_attributes():
    with hostile(_echo(400)) as conn:
        with pytest.raises(httpql.ApiError) as info:
            conn.execute(start())
    e = info.value
    seen = [str(e), e.api_message, repr(e.args), json.dumps(e.headers)]
    assert all(TOKEN not in text for text in seen), seen
    assert "bad header: Bearer ****" in str(e)
    evidence.record("secret", "API echoes the Authorization header in an error body",
                    outcome=f"masked: {e}")


def test_an_echoed_token_is_masked_in_returning_values():
    with hostile(_echo(201)) as conn:
        rows = conn.execute(start("data.id, data.stream_key"))
    assert rows == [{"data.id": "Bearer ****", "data.stream_key": "token=" + TOKEN[3:] + "****"}]


def test_a_token_spelt_with_json_escapes_is_masked_too():
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in TOKEN)
    body = ('{"success": true, "data": {"id": "' + escaped + '"}}').encode()
    with hostile(lambda r: httpx.Response(201, content=body)) as conn:
        rows = conn.execute(start("data.id"))
    assert rows == [{"data.id": "****"}]


def test_an_echoed_token_never_reaches_cli_output(emulator, meeting_id, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from httpql.cli.main import cli

    emulator.inject("echo_auth")
    for fmt in ("json", "csv", "table", "text"):
        result = CliRunner().invoke(cli, ["exec", "-o", fmt, "--http-log",
                                          insert_sql(meeting_id, returning="*")],
                                    env={"CLOUDFLARE_BASE_URL": emulator.base_url,
                                         "CLOUDFLARE_API_TOKEN": emulator.token})
        assert emulator.token not in result.output, fmt
        assert "****" in result.output, (fmt, result.output)


# --- 3, 4, 13. templates -------------------------------------------------------------------------

@pytest.mark.parametrize("template", ["{{ app-id }}", "{{ x | lower }}", "{{x|lower}}", "{{ }}",
                                      "{{ x.y }}"])
def test_a_template_httpql_cannot_fill_is_an_error_before_sending(emulator, conn, meeting_id,
                                                                  template):
    sql = insert_sql(meeting_id, name=template)
    for variables in (None, {"x": "a"}):
        with pytest.raises(httpql.Error) as info:
            conn.execute(sql, variables=variables)
        assert template in str(info.value)
    assert emulator.requests == []
    evidence.record("templates", "placeholder with '-' or a filter ({{ app-id }}, {{ x | lower }})",
                    outcome=f"{type(info.value).__name__} before sending: {info.value}",
                    requests=0)


def test_var_names_are_checked(httpql_cli, emulator, meeting_id):
    r = httpql_cli("exec", "--var", "app-id=x", insert_sql(meeting_id))
    assert r.code == 2 and "'app-id' cannot name a template" in r.stderr
    r = httpql_cli("exec", "--var", "x.y=1", insert_sql(meeting_id))  # no name a template can use
    assert r.code == 2 and "'x.y' cannot name a template" in r.stderr
    assert emulator.requests == []


def test_a_value_filled_into_json_text_stays_a_string(emulator, conn):
    evil = '", "video_config": {"height": 1}, "name": "'
    sql = (f"EXEC {RESOURCE}.start_livestreaming_a_meeting @meeting_id='{MEETING}', "
           f"@account_id='{ACCOUNT}', @app_id='{APP}', @@json='{{\"name\": \"{{{{ n }}}}\"}}'")
    with pytest.raises(httpql.DataError) as info:  # the name pattern refuses quotes and braces
        conn.execute(sql, variables={"n": evil})
    assert emulator.requests == []
    assert "must match the pattern" in str(info.value)
    with httpql.connect(base_url=emulator.base_url, token=emulator.token, dry_run=True) as dry:
        (req,) = dry.run(sql, variables={"n": "ok-name"})[0].requests
    assert req.body == {"name": "ok-name"}
    # the escaping itself, where a free-form string takes the value
    from httpql.sql.params import fill_statements
    from httpql.sql.parse import parse_script

    (stmt,) = fill_statements(parse_script(sql), variables={"n": evil})
    assert json.loads(stmt.body_json) == {"name": evil}
    evidence.record("templates", "--var value with JSON syntax inside @@json text",
                    outcome="filled as one JSON string value; no key added", requests=0)


def test_a_template_outside_a_json_string_gets_a_json_value():
    from httpql.sql.params import fill_statements
    from httpql.sql.parse import parse_script

    sql = insert_sql(MEETING, video='{"height": {{ h }}, "width": {{ w }}}')
    (stmt,) = fill_statements(parse_script(sql), variables={"h": 720, "w": '1280, "x": 1'})
    assert json.loads(stmt.rows[0][1]) == {"height": 720, "width": '1280, "x": 1'}


def test_a_duplicate_json_key_is_refused(emulator, conn, meeting_id):
    with pytest.raises(httpql.DataError) as info:
        conn.execute(insert_sql(meeting_id, video='{"height": 720, "height": 1}'))
    assert "'height' twice" in str(info.value)
    assert emulator.requests == []
    evidence.record("values", "JSON object with a duplicate key",
                    outcome=f"DataError: {info.value}", requests=0)


def test_vars_file_numbers_fill_text_inside_quotes(httpql_cli, emulator, meeting_id, tmp_path):
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps({"n": 5, "video": {"height": 720, "width": 1280},
                                     "meeting": meeting_id}))
    sql = insert_sql("{{ meeting }}", name="{{ n }}", video="{{ video }}", returning="success")
    r = httpql_cli("exec", "-o", "json", "--vars-file", str(vars_file), sql)
    assert r.code == 0, r.stderr
    assert emulator.requests[0].json() == {"name": "5",
                                           "video_config": {"height": 720, "width": 1280}}


# --- 10. messages that mislead --------------------------------------------------------------------

def test_null_and_object_messages_read_well(conn, meeting_id):
    with pytest.raises(httpql.DataError) as info:
        conn.execute(insert_sql(meeting_id, video="x").replace("'x'", "NULL"))
    assert "give an object" in str(info.value)
    with pytest.raises(httpql.DataError) as info:
        conn.execute(f"INSERT INTO {RESOURCE} (name, account_id, app_id) VALUES (?, ?, ?)",
                     [{"a": 1}, ACCOUNT, APP])
    assert "null null" not in str(info.value)


def test_an_error_in_a_script_names_the_statement_not_only_its_line(conn, meeting_id):
    script = f"SHOW PROVIDERS; {insert_sql(meeting_id, name='bad name')}"
    with pytest.raises(httpql.DataError) as info:
        conn.execute(script)
    assert "statement 2 of 2 (line 1: INSERT INTO cloudflare.realtime_kit.livestreams" in str(
        info.value)


def test_the_outcome_hint_shows_the_encoded_path_not_raw_values():
    from httpql.plan import Request

    req = Request("POST", BASE, outcome_hint="see meeting {meeting_id}",
                  values={"meeting_id": "a\nb/c"})
    assert req.hint() == "see meeting a%0Ab%2Fc"


def test_an_unknown_outcome_on_row_1_never_says_nothing_was_sent():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    with hostile(handler) as conn:
        with pytest.raises(httpql.OutcomeUnknownError) as info:
            conn.execute(start(rows=2))
    text = str(info.value)
    assert "nothing was sent" not in text and "row 1 may have been acted on" in text
    assert "row 2 was not sent" in text


# --- 6. base URLs ---------------------------------------------------------------------------------

BAD_URLS = {
    "http://127.0.0.1:abc/x": "bad port", "http://127.0.0.1:99999/x": "bad port",
    "https://a..b/x": "invalid host name", "https:///x": "has no host name",
}


@pytest.mark.parametrize("url", list(BAD_URLS))
def test_a_malformed_base_url_is_a_usage_error_from_every_source(url, httpql_cli, cli_env):
    with pytest.raises(httpql.InterfaceError, match=BAD_URLS[url]):
        httpql.connect(base_url=url, token="t")
    by_flag = httpql_cli("exec", "--base-url", url, "SHOW PROVIDERS")
    by_env = httpql_cli("exec", insert_sql(MEETING), env={**cli_env, "CLOUDFLARE_BASE_URL": url})
    for r in (by_flag, by_env):
        assert r.code == 2 and BAD_URLS[url] in r.stderr and "internal error" not in r.stderr
    evidence.record("transport", f"malformed base URL ({BAD_URLS[url]})",
                    outcome=f"usage error, exit 2: {by_env.stderr.strip().splitlines()[-1]}",
                    requests=0)


# --- 7. the Python API raises only httpql errors -----------------------------------------------

@pytest.mark.parametrize(("call", "names"), [
    (lambda: httpql.connect(token=123), "token"),
    (lambda: httpql.connect(bogus=1), "bogus"),
    (lambda: httpql.connect(provider_paths="dir"), "provider_paths"),
    (lambda: httpql.connect(dry_run="yes"), "dry_run"),
    (lambda: httpql.connect(http_log="x"), "http_log"),
], ids=["token", "unknown-option", "provider_paths", "dry_run", "http_log"])
def test_connect_misuse_is_an_interface_error_naming_the_argument(call, names):
    with pytest.raises(httpql.InterfaceError, match=names):
        call()


def test_execute_with_params_that_are_not_a_sequence_or_mapping(conn):
    with pytest.raises(httpql.ProgrammingError, match="params must be a sequence"):
        conn.execute("SHOW PROVIDERS", 5)


def test_python_values_bind_as_what_they_mean(emulator, conn):
    import datetime
    import decimal
    import enum
    import uuid

    class App(enum.Enum):
        DEMO = APP

    meeting = uuid.uuid4()
    conn.execute(f"INSERT INTO {RESOURCE} (name, video_config, meeting_id, account_id, app_id) "
                 "VALUES (?, ?, ?, ?, ?)",
                 [datetime.date(2026, 11, 30).isoformat().replace("-", "_"),
                  {"height": decimal.Decimal("720"), "width": 1280}, meeting, ACCOUNT, App.DEMO])
    (req,) = emulator.requests
    assert str(meeting) in req.raw_path and APP in req.raw_path
    assert req.json()["video_config"] == {"height": 720, "width": 1280}
    # a datetime is its ISO 8601 text, checked like any string (here against the name pattern)
    with pytest.raises(httpql.DataError, match="got '2026-11-30T12:00:00'"):
        conn.execute(f"INSERT INTO {RESOURCE} (name, account_id, app_id) VALUES (?, ?, ?)",
                     [datetime.datetime(2026, 11, 30, 12, 0), ACCOUNT, APP])


# --- 8. run() has run ------------------------------------------------------------------------------

def test_run_has_sent_its_requests_when_it_returns(emulator, conn, meeting_id):
    results = conn.run(insert_sql(meeting_id))
    assert len(emulator.requests) == 1 and results[0].rows[0]["success"] is True


# --- 11. RETURNING ---------------------------------------------------------------------------------

@pytest.mark.parametrize("returning", ["data.id AS x, success AS x", "data, data"])
def test_two_returning_columns_with_one_name_are_refused(conn, emulator, meeting_id, returning):
    with pytest.raises(httpql.ParseError, match="two RETURNING columns are named"):
        conn.execute(insert_sql(meeting_id, returning=returning))
    assert emulator.requests == []


def test_a_path_through_a_string_field_is_refused_like_an_unknown_one(conn, emulator, meeting_id):
    with pytest.raises(httpql.ProgrammingError, match="data.status is a string"):
        conn.execute(insert_sql(meeting_id, returning="data.status.foo"))
    assert emulator.requests == []


# --- 12. a closed pipe ----------------------------------------------------------------------------

def test_a_closed_pipe_stops_quietly(cli_env, tmp_path):
    import subprocess
    import sys

    script = tmp_path / "many.sql"
    script.write_text(f"SHOW EXTENDED METHODS IN {RESOURCE};" * 3000)
    proc = subprocess.Popen([sys.executable, "-m", "httpql", "exec", "-f", str(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env)
    proc.stdout.read(10)
    proc.stdout.close()  # the reader goes away, as `| head -c 10` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""


# --- 14. PEP 249 -------------------------------------------------------------------------------

def test_cursor_follows_pep_249(conn, meeting_id):
    with conn.cursor() as cur:
        cur.execute(f"SHOW METHODS IN {RESOURCE}")
        assert cur.fetchmany(0) == []
        assert len(cur.fetchmany(2)) == 2
        cur.execute(insert_sql(meeting_id, returning=""))
        with pytest.raises(httpql.ProgrammingError, match="did not produce a result set"):
            cur.fetchone()
    assert cur.closed
    with pytest.raises(httpql.ProgrammingError, match="cursor is closed"):
        cur.fetchall()
    with pytest.raises(httpql.ProgrammingError, match="execute a statement first"):
        conn.cursor().fetchall()


# --- rough edges ---------------------------------------------------------------------------------

def test_rough_edges_of_the_command_line(httpql_cli, cli_env):
    assert httpql_cli("exec", "--emulator", "--base-url", BASE, "SHOW PROVIDERS").code == 2
    for script in ("", ";", "-- note", "/* x */ ;"):
        r = httpql_cli("exec", script)
        assert r.code == 2 and "no statement to run" in r.stderr, script
    r = httpql_cli("exec", "-- note\nSHOW PROVIDERS", "-o", "json")
    assert r.code == 0 and r.json()[0]["name"] == "cloudflare"
    env = {k: v for k, v in cli_env.items() if k != "CLOUDFLARE_API_TOKEN"}
    r = httpql_cli("exec", "--dry-run", insert_sql(MEETING), env=env)
    assert r.code == 0 and "CLOUDFLARE_API_TOKEN is not set" in r.stderr
    r = httpql_cli("exec", insert_sql(MEETING), env={**env, "CLOUDFLARE_API_TOKEN": "Bearer abc"})
    assert r.code == 1 and "give the token alone" in r.stderr and "abc" not in r.stderr


def test_a_refused_token_says_what_to_check(httpql_cli, cli_env, meeting_id):
    r = httpql_cli("exec", insert_sql(meeting_id), env={**cli_env, "CLOUDFLARE_API_TOKEN": "wrong"})
    assert r.code == 1 and "HTTP 401" in r.stderr
    assert "check the API token in $CLOUDFLARE_API_TOKEN" in r.stderr
    assert "Realtime Admin" in r.stderr


# --- 9. interrupts -----------------------------------------------------------------------------

@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_post_reports_that_it_may_have_been_acted_on(emulator, cli_env, meeting_id,
                                                                    sig, code):
    import signal
    import subprocess
    import sys
    import time

    emulator.inject("delay", seconds=5)
    proc = subprocess.Popen([sys.executable, "-m", "httpql", "exec", insert_sql(meeting_id)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env, text=True)
    deadline = time.monotonic() + 30
    while not emulator.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emulator.requests, "the request never reached the emulator"
    proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "may have been acted on" in err and "start_livestreaming_a_meeting" in err
    assert f"/meetings/{meeting_id}/active-livestream" in err  # how to check
    assert "Traceback" not in err and emulator.token not in err
    evidence.record("interrupts", f"{sig} while a POST is in flight",
                    outcome=f"exit {code}: {err.strip()}", requests=1)


def test_terminal_escapes_in_an_api_error_are_shown_escaped():
    import contextlib
    import io

    from httpql.cli.main import report

    def handler(request):
        return httpx.Response(400, json={"success": False, "errors": [
            {"code": 1, "message": "bad \x1b[31mred\x1b]0;title\x07"}]})

    with hostile(handler) as conn, pytest.raises(httpql.ApiError) as info:
        conn.execute(start())
    assert "\x1b" in info.value.api_message  # the library keeps the API's text exactly
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        report(info.value)  # what `httpql exec` prints
    assert "\x1b" not in err.getvalue() and "\\x1b[31mred" in err.getvalue()


def test_time_queued_behind_the_rate_limit_is_not_counted_as_waiting_for_an_answer():
    """A batch over the client's own budget queues; a POST that was never sent must not come
    back as 'no answer within the total timeout, it may have been acted on'."""
    import time

    from httpql.http.retry import Retrying, RetryPolicy
    from httpql.plan import Request

    class SlowLimiter:
        def acquire(self, stop=None):
            time.sleep(0.3)  # longer than the whole total timeout below
            return True

    req = Request("POST", BASE + "/x", operation="op")
    retrying = Retrying(RetryPolicy(), req, deadline=time.monotonic() + 0.2)
    assert retrying.run(lambda: retrying.deadline - time.monotonic(), SlowLimiter()) > 0.1


def test_a_loopback_base_url_keeps_no_client_side_budget(emulator, conn):
    from httpql.plan import Request

    limiter = conn.limiter(Request("GET", emulator.base_url + "/x",
                                   resource="cloudflare.realtime_kit.apps"))
    assert limiter.requests is None
    with httpql.connect(token="t") as real:
        limiter = real.limiter(Request("GET", "https://api.cloudflare.com/client/v4/x",
                                       resource="cloudflare.realtime_kit.apps"))
        assert (limiter.requests, limiter.seconds) == (1200, 300)


def test_an_emulator_on_every_interface_warns_and_says_which_url_works(cli_env):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "httpql", "emulator", "--host", "0.0.0.0",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=cli_env)
    try:
        proc.stdout.readline()
        warning = proc.stderr.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert warning.startswith("warning: listening on 0.0.0.0") and "demo token" in warning
    assert "http://127.0.0.1:" in warning


# --- header parameters go out from the async client too --------------------------------------------

HEADER_PROVIDER = """\
id: hdrprov
base_url: https://api.example.invalid/v1
auth: {type: bearer, credentials_env: HDRPROV_API_TOKEN}
services:
  svc: {title: Headers}
"""
HEADER_RESOURCE = """\
name: things
methods:
  - name: make_thing
    sql_verb: insert
    http_method: POST
    path: /things
    required: [name, request_id]
    parameters:
      name: {in: body, type: string}
      request_id: {in: header, type: string}
"""


def test_header_parameters_are_sent_by_the_sync_and_the_async_client(tmp_path):
    import asyncio

    from httpql.manifest.loader import default_paths

    (tmp_path / "hdrprov" / "svc").mkdir(parents=True)
    (tmp_path / "hdrprov" / "provider.yaml").write_text(HEADER_PROVIDER)
    (tmp_path / "hdrprov" / "svc" / "things.yaml").write_text(HEADER_RESOURCE)
    seen: list[httpx.Request] = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    options = dict(token=TOKEN, provider_paths=[default_paths()[0], tmp_path],
                   transport=httpx.MockTransport(answer))
    sql = "INSERT INTO hdrprov.svc.things (name, request_id) SELECT 'a', 'req-7'"
    with httpql.connect(**options) as conn:
        conn.execute(sql)

    async def run_async():
        options["transport"] = httpx.MockTransport(answer)  # an async transport of the same
        async with await httpql.connect_async(**options) as conn:
            await conn.execute(sql)

    asyncio.run(run_async())
    assert [(r.headers.get("request_id"), json.loads(r.content)) for r in seen] == [
        ("req-7", {"name": "a"})] * 2


# --- error envelopes are the provider's setting, not the client's code -----------------------------

def _provider_with(tmp_path, errors_yaml: str):
    (tmp_path / "hdrprov" / "svc").mkdir(parents=True, exist_ok=True)
    (tmp_path / "hdrprov" / "provider.yaml").write_text(HEADER_PROVIDER + errors_yaml)
    (tmp_path / "hdrprov" / "svc" / "things.yaml").write_text(HEADER_RESOURCE)
    from httpql.manifest.loader import default_paths

    return [default_paths()[0], tmp_path]


THING = "INSERT INTO hdrprov.svc.things (name, request_id) SELECT 'a', 'r' RETURNING ok"


def test_a_second_provider_declares_its_own_error_envelope(tmp_path):
    paths = _provider_with(tmp_path, "errors:\n  success_field: ok\n  fields: [problem]\n"
                                     "  code_key: id\n  message_key: detail\n")
    failed = {"ok": False, "problem": {"id": 9, "detail": "quota used up"}}
    with httpql.connect(token=TOKEN, provider_paths=paths,
                        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=failed))) as conn:
        with pytest.raises(httpql.ApiError) as info:
            conn.execute(THING)
    e = info.value
    assert (e.status, e.code, e.api_message) == (200, 9, "quota used up")
    assert 'HTTP 200 with "ok": false: quota used up (code 9)' in str(e)
    refused = {"problem": [{"id": 4, "detail": "no such thing"}, {"detail": "and another"}]}
    with httpql.connect(token=TOKEN, provider_paths=paths,
                        transport=httpx.MockTransport(lambda r: httpx.Response(404, json=refused))) as conn:
        with pytest.raises(httpql.ApiError, match=r"HTTP 404: no such thing; and another \(code 4\)"):
            conn.execute(THING)


def test_without_a_success_field_a_2xx_is_a_success_whatever_its_body_says(tmp_path):
    paths = _provider_with(tmp_path, "")  # no errors: setting: nothing in a 2xx body means failure
    answer = {"success": False, "ok": "yes"}
    with httpql.connect(token=TOKEN, provider_paths=paths,
                        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=answer))) as conn:
        assert conn.execute(THING) == [{"ok": "yes"}]


@pytest.mark.parametrize(("errors_yaml", "words"), [
    ("errors: [a]\n", "errors: must be a mapping"),
    ("errors:\n  fields: []\n", "errors.fields: must be a non-empty list of field names"),
    ("errors:\n  success: ok\n", "unknown key"),
])
def test_a_bad_errors_setting_is_a_manifest_error(tmp_path, errors_yaml, words):
    paths = _provider_with(tmp_path, errors_yaml)
    with pytest.raises(httpql.Error) as info:
        with httpql.connect(token=TOKEN, provider_paths=paths) as conn:
            conn.execute("SHOW PROVIDERS")
    assert words in str(info.value)


@pytest.mark.parametrize("sql", [  # found by tests/test_hostile.py's mutations
    "INSERT INTO cloudflare.realtime_kit.livestreams (name, a\"ccount_id, app_id) "
    "SELECT 'town-hall', '\"{\"height\"', 'demo-account', 'demo-app'",
    "INSERT INTO cloudflare.realtime_kit.livestreams (name, a\"ccount_id, app_id) "
    "SELECT '{\"'height\": 720}', 'demo-account', 'demo-app'",
])
def test_a_quote_inside_a_column_name_is_a_syntax_error_not_a_crash(sql):
    with httpql.connect(token=TOKEN, dry_run=True) as conn, pytest.raises(httpql.ParseError):
        conn.run(sql)
