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
            "success": status < 300, "data": {"id": auth, "name": f"token={TOKEN[3:]}{auth[7:]}"},
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
    evidence.record("secrets", "API echoes the Authorization header in an error body",
                    outcome=f"masked: {e}")


def test_an_echoed_token_is_masked_in_returning_values():
    with hostile(_echo(201)) as conn:
        rows = conn.execute(start("data.id, data.name"))
    assert rows == [{"data.id": "Bearer ****", "data.name": "token=" + TOKEN[3:] + "****"}]


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

@pytest.mark.parametrize("template", ["{{ app-id }}", "{{ x | lower }}", "{{x|lower}}", "{{ }}"])
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
    from httpql.sql.params import bind_statements
    from httpql.sql.parse import parse_script

    (stmt,) = bind_statements(parse_script(sql), variables={"n": evil})
    assert json.loads(stmt.body_json) == {"name": evil}
    evidence.record("templates", "--var value with JSON syntax inside @@json text",
                    outcome="filled as one JSON string value; no key added", requests=0)


def test_a_template_outside_a_json_string_gets_a_json_value():
    from httpql.sql.params import bind_statements
    from httpql.sql.parse import parse_script

    sql = insert_sql(MEETING, video='{"height": {{ h }}, "width": {{ w }}}')
    (stmt,) = bind_statements(parse_script(sql), variables={"h": 720, "w": '1280, "x": 1'})
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
