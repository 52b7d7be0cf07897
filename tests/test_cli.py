"""The httpql command: in-process with click's CliRunner for most checks, and a set of real
subprocess runs end to end."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from click.testing import CliRunner
from conftest import ACCOUNT, APP, DOC_EXEC, DOC_INSERT, RESOURCE, insert_sql, stop_sql

from httpql.cli.main import cli

WRONG_TOKEN = "cf-wrong-token-7f3a9b2c4d5e6f708192"

def fill(text: str, meeting: str) -> str:
    return (text.replace("{{ name }}", "town-hall")
            .replace("{{ video_config }}", '{"height": 720, "width": 1280}')
            .replace("{{ meeting_id }}", meeting)
            .replace("{{ account_id }}", ACCOUNT)
            .replace("{{ app_id }}", APP))


class Run:
    def __init__(self, result, token: str):
        self.code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.exception = result.exception
        # no run ever ends in a traceback or shows the token
        assert self.exception is None or isinstance(self.exception, SystemExit), self.exception
        assert "Traceback" not in self.stderr
        assert token not in self.stdout and token not in self.stderr
        assert WRONG_TOKEN not in self.stdout and WRONG_TOKEN not in self.stderr

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def run(emulator):
    """Invoke the CLI in-process with the environment pointed at the emulator."""
    env = {"CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_API_TOKEN": emulator.token,
           "HTTPQL_PROVIDER_PATH": None}

    def invoke(*args: str, input: str | None = None, **overrides) -> Run:
        result = CliRunner().invoke(cli, list(args), input=input, env={**env, **overrides})
        return Run(result, emulator.token)

    return invoke


def check_cli(result, token: str) -> None:
    assert "Traceback" not in result.stderr
    assert token not in result.stdout and token not in result.stderr
    assert WRONG_TOKEN not in result.stdout and WRONG_TOKEN not in result.stderr


# --- input: argument, file, stdin -------------------------------------------------------------

def test_exec_sql_argument_prints_json_rows(run, emulator, meeting_id):
    r = run("exec", insert_sql(meeting_id))
    assert r.code == 0, r.stderr
    rows = r.json()
    assert isinstance(rows, list) and len(rows) == 1
    assert set(rows[0]) == {"data", "success"}
    assert rows[0]["success"] is True
    assert emulator.active_livestream(meeting_id)["id"] == rows[0]["data"]["id"]


def test_exec_from_file(run, emulator, meeting_id, tmp_path):
    f = tmp_path / "start.iql"
    f.write_text(insert_sql(meeting_id, returning="data.id"))
    r = run("exec", "-f", str(f), "-o", "json")
    assert r.code == 0, r.stderr
    assert r.json()[0]["data.id"] == emulator.active_livestream(meeting_id)["id"]


def test_exec_from_stdin(run, emulator, meeting_id):
    r = run("exec", "-f", "-", "-o", "json", input=insert_sql(meeting_id, returning="success"))
    assert r.code == 0, r.stderr
    assert r.json() == [{"success": True}]
    assert emulator.active_livestream(meeting_id) is not None


def test_several_statements_run_in_order(run, emulator, meeting_id):
    r = run("exec", "-o", "ndjson", insert_sql(meeting_id, returning="success") + "\n" + stop_sql(meeting_id))
    assert r.code == 0, r.stderr
    assert [json.loads(line) for line in r.stdout.splitlines()] == [{"success": True}]
    assert "despatched" in r.stderr + r.stdout
    assert [q.raw_path.rsplit("/", 1)[-1] for q in emulator.requests] == ["livestreams", "stop"]
    assert emulator.active_livestream(meeting_id) is None


def test_failure_stops_the_script_without_continue_on_error(run, emulator, meeting_id):
    other = str(uuid.uuid4())
    script = f"{stop_sql(meeting_id)}\n{insert_sql(other)}"
    r = run("exec", script)
    assert r.code == 1
    assert "400" in r.stderr and "No active livestream" in r.stderr
    assert len(emulator.requests) == 1
    assert emulator.active_livestream(other) is None


def test_continue_on_error_runs_the_rest_and_exits_1(run, emulator, meeting_id):
    other = str(uuid.uuid4())
    script = f"{stop_sql(meeting_id)}\n{insert_sql(other, returning='success')}"
    r = run("exec", "--continue-on-error", "-o", "json", script)
    assert r.code == 1
    assert "No active livestream" in r.stderr
    assert r.json() == [{"success": True}]
    assert len(emulator.requests) == 2
    assert emulator.active_livestream(other) is not None


def test_continue_on_error_also_continues_after_a_planning_error(run, emulator, meeting_id):
    script = f"INSERT INTO {RESOURCE} (nme) SELECT 'x';\n{insert_sql(meeting_id, returning='success')}"
    r = run("exec", "--continue-on-error", "-o", "json", script)
    assert r.code == 1
    assert "nme" in r.stderr
    assert r.json() == [{"success": True}]
    assert len(emulator.requests) == 1


def test_rows_sent_before_a_failing_row_are_still_printed(run, emulator):
    sql = (f"INSERT INTO {RESOURCE} (name, account_id, app_id) VALUES ('first', '{ACCOUNT}', '{APP}'), "
           f"('second', '{ACCOUNT}', 'no-such-app') RETURNING data.name")
    r = run("exec", "-o", "json", sql)
    assert r.code == 1
    assert "row 2 of 2" in r.stderr and "404" in r.stderr
    assert r.json() == [{"data.name": "first"}]
    assert len(emulator.requests) == 2


def test_syntax_error_sends_nothing_even_with_continue_on_error(run, emulator, meeting_id):
    script = f"{insert_sql(meeting_id)}\n{stop_sql(meeting_id)}\nSHOW TABLES;"
    r = run("exec", "--continue-on-error", script)
    assert r.code == 1
    assert "line 3" in r.stderr and "TABLES" in r.stderr
    assert emulator.requests == []


# --- output formats ---------------------------------------------------------------------------

METHOD_COLUMNS = ["MethodName", "RequiredParams", "OptionalParams", "SQLVerb"]


def test_output_json_is_an_array_of_row_objects(run):
    r = run("exec", "-o", "json", f"SHOW METHODS IN {RESOURCE}")
    assert r.code == 0
    rows = r.json()
    assert isinstance(rows, list) and len(rows) == 3
    assert all(list(row) == METHOD_COLUMNS for row in rows)
    by_name = {row["MethodName"]: row for row in rows}
    assert by_name["start_livestreaming_a_meeting"]["RequiredParams"] == "meeting_id, account_id, app_id"
    assert by_name["start_livestreaming_a_meeting"]["OptionalParams"] == "name, video_config"
    assert by_name["create_independent_livestream"]["RequiredParams"] == "account_id, app_id"
    assert by_name["stop_livestreaming_a_meeting"]["SQLVerb"] == "EXEC"
    assert by_name["create_independent_livestream"]["SQLVerb"] == "INSERT"
    # by verb (INSERT before EXEC), then in the order INSERT tries them: a meeting_id chooses
    # start_livestreaming_a_meeting, so it is listed before create_independent_livestream
    assert [row["MethodName"] for row in rows] == [
        "start_livestreaming_a_meeting", "create_independent_livestream", "stop_livestreaming_a_meeting"]


def test_output_ndjson_is_one_object_per_line(run):
    r = run("exec", "-o", "ndjson", f"SHOW METHODS IN {RESOURCE}")
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    assert [list(json.loads(line)) for line in lines] == [METHOD_COLUMNS] * 3


def test_output_csv_has_a_header_line(run):
    r = run("exec", "-o", "csv", f"SHOW METHODS IN {RESOURCE}")
    assert r.stdout.splitlines()[0] == ",".join(METHOD_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 3
    assert rows[-1]["RequiredParams"] == "meeting_id, account_id, app_id"


def test_output_text_is_tab_separated(run):
    r = run("exec", "-o", "text", f"SHOW METHODS IN {RESOURCE}")
    lines = r.stdout.splitlines()
    assert lines[0].split("\t") == METHOD_COLUMNS
    assert len(lines) == 4
    assert lines[3].split("\t")[0] == "stop_livestreaming_a_meeting"


def test_output_table_shows_headers_and_rows(run):
    r = run("exec", "-o", "table", f"SHOW METHODS IN {RESOURCE}")
    for name in METHOD_COLUMNS + ["stop_livestreaming_a_meeting", "create_independent_livestream"]:
        assert name in r.stdout
    assert r.stdout.count("\n") >= 5
    assert r.stderr == ""


def test_show_extended_methods_adds_description(run):
    rows = run("exec", "-o", "json", f"SHOW EXTENDED METHODS IN {RESOURCE} LIKE 'stop%'").json()
    assert len(rows) == 1
    assert list(rows[0]) == METHOD_COLUMNS + ["description"]
    assert rows[0]["description"]


def test_show_providers_services_resources(run):
    assert run("exec", "-o", "json", "SHOW PROVIDERS").json() == [{"name": "cloudflare", "version": "v1"}]
    services = run("exec", "-o", "json", "SHOW SERVICES IN cloudflare LIKE 'real%'").json()
    assert [s["name"] for s in services] == ["realtime_kit"]
    assert {"id", "name", "title"} <= set(services[0])
    resources = run("exec", "-o", "json", "SHOW RESOURCES IN cloudflare.realtime_kit LIKE '%live%'").json()
    assert {"name": "livestreams", "id": RESOURCE} in resources
    assert all("live" in r["name"] for r in resources) and len(resources) == 8
    resources = run("exec", "-o", "json", "SHOW RESOURCES IN cloudflare.realtime_kit LIKE 'LIVESTREAMS'").json()
    assert resources == [{"name": "livestreams", "id": RESOURCE}]
    assert run("exec", "-o", "json", "SHOW RESOURCES IN cloudflare.realtime_kit LIKE 'x%'").json() == []


def test_describe_lists_name_and_type(run):
    rows = run("exec", "-o", "json", f"DESCRIBE {RESOURCE}").json()
    assert all({"name", "type"} <= set(row) for row in rows)
    assert "description" not in rows[0]
    types = {row["name"]: row["type"] for row in rows}
    for name, kind in [("data", "object"), ("success", "boolean"), ("meeting_id", "string"),
                       ("account_id", "string"), ("app_id", "string"), ("name", "string"),
                       ("video_config", "object")]:
        assert types[name] == kind
    extended = run("exec", "-o", "json", f"DESCRIBE EXTENDED {RESOURCE}").json()
    assert all(row.get("description") for row in extended if row["name"] in ("account_id", "data"))


def test_show_and_describe_send_nothing(run, emulator):
    run("exec", f"SHOW PROVIDERS; SHOW METHODS IN {RESOURCE}; DESCRIBE {RESOURCE}")
    assert emulator.requests == []


# --- streams and exit codes -------------------------------------------------------------------

def test_exec_status_message_is_not_mixed_into_json(run, meeting_id):
    run("exec", insert_sql(meeting_id))
    r = run("exec", "-o", "json", stop_sql(meeting_id))
    assert r.code == 0
    assert "despatched" in r.stderr
    assert r.stdout.strip() == "" or isinstance(json.loads(r.stdout), list)


@pytest.mark.parametrize("sql", [
    "SELEC * FROM x",
    f"SELECT * FROM {RESOURCE}",
    f"INSERT INTO {RESOURCE} (name) SELECT 'x'",
    f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT 'bad name', '{ACCOUNT}', '{APP}'",
    f"INSERT INTO {RESOURCE} (name, account_id, app_id) SELECT 'x', '{ACCOUNT}', 'no-such-app'",
    "EXEC x @p",
    "SHOW METHODS IN cloudflare.realtime_kit.nothing",
])
def test_errors_exit_1_on_stderr_with_empty_stdout(run, sql):
    r = run("exec", "-o", "json", sql)
    assert r.code == 1
    assert r.stdout == ""
    assert r.stderr.startswith("error: ")
    assert len(r.stderr.strip()) > len("error: ")


@pytest.mark.parametrize("args", [
    ("exec",),
    ("exec", "SHOW PROVIDERS", "-f", "-"),
    ("exec", "-o", "xml", "SHOW PROVIDERS"),
    ("exec", "--output", "yaml", "SHOW PROVIDERS"),
    ("exec", "-f", "/no/such/file.iql"),
    ("exec", "--no-such-option", "SHOW PROVIDERS"),
    ("nosuchcommand",),
])
def test_usage_errors_exit_2(run, emulator, args):
    r = run(*args, input="SHOW PROVIDERS")
    assert r.code == 2, (r.code, r.stderr)
    assert r.stdout == ""
    assert r.stderr.strip()
    assert emulator.requests == []


def test_missing_token_exits_1_and_sends_nothing(run, emulator):
    r = run("exec", insert_sql(None, video=None), CLOUDFLARE_API_TOKEN=None)
    assert r.code == 1
    assert "CLOUDFLARE_API_TOKEN" in r.stderr
    assert emulator.requests == []


def test_wrong_token_exits_1_with_the_api_message(run, emulator):
    r = run("exec", insert_sql(None, video=None), CLOUDFLARE_API_TOKEN=WRONG_TOKEN)
    assert r.code == 1
    assert "401" in r.stderr and "Authentication error" in r.stderr


# --- dry run ----------------------------------------------------------------------------------

def test_dry_run_prints_the_request_and_sends_nothing(run, emulator, meeting_id):
    r = run("exec", "--dry-run", insert_sql(meeting_id))
    assert r.code == 0, r.stderr
    out = r.stdout
    url = f"{emulator.base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}/meetings/{meeting_id}/livestreams"
    assert out.splitlines()[0] == f"POST {url}"
    assert "Authorization: Bearer ****" in out
    assert "Content-Type: application/json" in out
    body = out[out.index("{"):]
    assert json.loads(body) == {"name": "town-hall", "video_config": {"height": 720, "width": 1280}}
    assert emulator.requests == []
    assert emulator.active_livestream(meeting_id) is None


def test_dry_run_of_a_script_prints_every_request(run, emulator, meeting_id):
    r = run("exec", "--dry-run", insert_sql(meeting_id) + stop_sql(meeting_id))
    assert r.code == 0
    assert r.stdout.count("POST ") == 2
    assert f"/meetings/{meeting_id}/active-livestream/stop" in r.stdout
    assert emulator.requests == []


def test_dry_run_still_checks_input(run, emulator):
    r = run("exec", "--dry-run", f"INSERT INTO {RESOURCE} (meeting_id, account_id, app_id) "
                                 "SELECT 'nope', 'a', 'b'")
    assert r.code == 1
    assert "UUID" in r.stderr
    assert emulator.requests == []


# --- stackql docs examples and templates ------------------------------------------------------

def test_docs_examples_verbatim_run_from_a_file(run, emulator, meeting_id, tmp_path):
    f = tmp_path / "docs.iql"
    f.write_text(fill(DOC_INSERT, meeting_id) + "\n\n" + fill(DOC_EXEC, meeting_id) + "\n")
    r = run("exec", "-f", str(f), "-o", "json")
    assert r.code == 0, r.stderr
    rows = r.json()
    assert rows[0]["success"] is True
    assert rows[0]["data"]["stream_key"]
    assert "despatched" in r.stderr
    assert [q.raw_path.rsplit("/", 1)[-1] for q in emulator.requests] == ["livestreams", "stop"]
    assert emulator.requests[0].json() == {"name": "town-hall",
                                           "video_config": {"height": 720, "width": 1280}}
    assert emulator.active_livestream(meeting_id) is None


def test_docs_examples_with_var_templates(run, emulator, meeting_id, tmp_path):
    f = tmp_path / "docs.iql"
    f.write_text(DOC_INSERT + "\n" + DOC_EXEC + "\n")
    r = run("exec", "-f", str(f), "-o", "json", "--var", "name=town-hall",
            "--var", 'video_config={"height": 720, "width": 1280}', "--var", f"meeting_id={meeting_id}",
            "--var", f"account_id={ACCOUNT}", "--var", f"app_id={APP}")
    assert r.code == 0, r.stderr
    assert r.json()[0]["success"] is True
    assert emulator.requests[0].json()["video_config"] == {"height": 720, "width": 1280}


def test_docs_examples_unfilled_send_nothing(run, emulator, tmp_path):
    f = tmp_path / "docs.iql"
    f.write_text(DOC_INSERT)
    r = run("exec", "-f", str(f))
    assert r.code == 1
    assert "{{" in r.stderr
    assert emulator.requests == []


# --- end to end, in a real process ------------------------------------------------------------

def test_e2e_insert_returning(httpql_cli, emulator, meeting_id):
    r = httpql_cli("exec", "-o", "json", insert_sql(meeting_id, returning="data.id, data.stream_key AS key"))
    check_cli(r, emulator.token)
    assert r.code == 0, r.stderr
    [row] = r.json()
    active = emulator.active_livestream(meeting_id)
    assert row == {"data.id": active["id"], "key": active["stream_key"]}


def test_e2e_docs_examples_from_file(httpql_cli, emulator, meeting_id, tmp_path):
    f = tmp_path / "docs.iql"
    f.write_text(fill(DOC_INSERT, meeting_id) + "\n" + fill(DOC_EXEC, meeting_id))
    r = httpql_cli("exec", "-f", str(f), "-o", "json")
    check_cli(r, emulator.token)
    assert r.code == 0, r.stderr
    assert r.json()[0]["success"] is True
    assert "despatched" in r.stderr
    assert len(emulator.requests) == 2
    assert emulator.active_livestream(meeting_id) is None


def test_e2e_stdin_several_statements(httpql_cli, emulator, meeting_id):
    r = httpql_cli("exec", "-f", "-", "-o", "ndjson",
                   input=f"SHOW PROVIDERS;\n{insert_sql(meeting_id, returning='success')}\n")
    check_cli(r, emulator.token)
    assert r.code == 0, r.stderr
    assert [json.loads(x) for x in r.stdout.splitlines()] == [
        {"name": "cloudflare", "version": "v1"}, {"success": True}]


def test_e2e_stop_on_first_failure(httpql_cli, emulator, meeting_id):
    other = str(uuid.uuid4())
    r = httpql_cli("exec", f"{stop_sql(meeting_id)}\n{insert_sql(other)}")
    check_cli(r, emulator.token)
    assert r.code == 1
    assert "No active livestream" in r.stderr
    assert len(emulator.requests) == 1


def test_e2e_continue_on_error(httpql_cli, emulator, meeting_id):
    other = str(uuid.uuid4())
    r = httpql_cli("exec", "--continue-on-error", "-o", "json",
                   f"{stop_sql(meeting_id)}\n{insert_sql(other, returning='success')}")
    check_cli(r, emulator.token)
    assert r.code == 1
    assert r.json() == [{"success": True}]
    assert len(emulator.requests) == 2


def test_e2e_dry_run(httpql_cli, emulator, meeting_id):
    r = httpql_cli("exec", "--dry-run", insert_sql(meeting_id))
    check_cli(r, emulator.token)
    assert r.code == 0
    assert r.stdout.startswith("POST http://")
    assert "Authorization: Bearer ****" in r.stdout
    assert emulator.requests == []


def test_e2e_emulator_flag_without_any_cloudflare_env(httpql_cli, cli_env, emulator, meeting_id):
    env = {k: v for k, v in cli_env.items() if not k.startswith(("CLOUDFLARE_", "HTTPQL_"))}
    r = httpql_cli("exec", "--emulator", "-o", "json", insert_sql(meeting_id, returning="data.id, success"),
                   env=env)
    check_cli(r, emulator.token)
    assert r.code == 0, r.stderr
    [row] = r.json()
    assert row["success"] is True
    uuid.UUID(row["data.id"])
    assert emulator.requests == []  # its own in-process emulator, not the test one


def test_e2e_usage_error_exit_2(httpql_cli, emulator):
    r = httpql_cli("exec")
    check_cli(r, emulator.token)
    assert r.code == 2
    assert r.stdout == ""
    assert "Usage" in r.stderr or "usage" in r.stderr


def test_e2e_bad_output_format_exit_2(httpql_cli, emulator):
    r = httpql_cli("exec", "-o", "xml", "SHOW PROVIDERS")
    check_cli(r, emulator.token)
    assert r.code == 2
    assert "xml" in r.stderr


def test_e2e_syntax_error(httpql_cli, emulator):
    r = httpql_cli("exec", "SHOW PROVIDERS;\nSELEC * FROM x")
    check_cli(r, emulator.token)
    assert r.code == 1
    assert "line 2" in r.stderr and "SELEC" in r.stderr and "did you mean SELECT" in r.stderr
    assert r.stdout == ""


def test_e2e_select_not_supported(httpql_cli, emulator):
    r = httpql_cli("exec", f"SELECT * FROM {RESOURCE} WHERE account_id = '{ACCOUNT}' AND app_id = '{APP}'")
    check_cli(r, emulator.token)
    assert r.code == 1
    assert "SELECT not supported for this resource" in r.stderr
    assert emulator.requests == []


def test_e2e_wrong_token_never_printed(httpql_cli, cli_env, emulator):
    env = dict(cli_env, CLOUDFLARE_API_TOKEN=WRONG_TOKEN)
    r = httpql_cli("exec", "--http-log", insert_sql(None, video=None), env=env)
    check_cli(r, emulator.token)
    assert r.code == 1
    assert "401" in r.stderr and "Authentication error" in r.stderr
    assert "Bearer ****" in r.stderr  # the trace shows the header, masked


def test_e2e_missing_token(httpql_cli, cli_env, emulator):
    env = {k: v for k, v in cli_env.items() if k != "CLOUDFLARE_API_TOKEN"}
    r = httpql_cli("exec", insert_sql(None, video=None), env=env)
    check_cli(r, emulator.token)
    assert r.code == 1
    assert "CLOUDFLARE_API_TOKEN" in r.stderr
    assert emulator.requests == []


def test_e2e_http_log_masks_the_real_token(httpql_cli, emulator, meeting_id):
    r = httpql_cli("exec", "--http-log", "-o", "csv", insert_sql(meeting_id, returning="success"))
    check_cli(r, emulator.token)
    assert r.code == 0, r.stderr
    assert r.stdout.splitlines() == ["success", "true"]
    assert "Bearer ****" in r.stderr
    assert "201" in r.stderr


def test_an_internal_error_is_one_line_without_traceback_and_debug_shows_it(emulator, monkeypatch):
    """A bug in httpql (simulated: the connection's run raises a plain RuntimeError) must not dump
    a traceback on the user, but --debug must show it to whoever reports the bug."""
    from httpql.connection import Connection

    def broken(self, *args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(Connection, "stream", broken)
    env = {"CLOUDFLARE_BASE_URL": emulator.base_url, "CLOUDFLARE_API_TOKEN": emulator.token}
    plain = CliRunner().invoke(cli, ["exec", "SHOW PROVIDERS"], env=env)
    assert plain.exit_code == 1
    assert "internal error" in plain.stderr and "simulated bug" in plain.stderr
    assert "--debug" in plain.stderr and "Traceback" not in plain.stderr
    debug = CliRunner().invoke(cli, ["exec", "--debug", "SHOW PROVIDERS"], env=env)
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr and "RuntimeError: simulated bug" in debug.stderr
    assert emulator.token not in plain.stderr + debug.stderr


@pytest.mark.parametrize("args", [
    ["--base-url", "http://example.com/client/v4"],
    ["--base-url", "http://127.0.0.1\t/client/v4"],
    ["--total-timeout", "nan"],
    ["--connect-timeout", "inf"],
])
def test_bad_option_values_are_usage_errors(run, emulator, args):
    r = run("exec", *args, insert_sql(str(uuid.uuid4())))
    assert r.code == 2, r.stderr
    assert "Error:" in r.stderr
    assert emulator.requests == []


def test_a_file_with_a_byte_order_mark_runs(run, tmp_path):
    path = tmp_path / "bom.sql"
    path.write_bytes("\ufeffSHOW PROVIDERS;".encode())
    r = run("exec", "-o", "json", "-f", str(path))
    assert r.code == 0, r.stderr
    assert r.json() == [{"name": "cloudflare", "version": "v1"}]


def test_a_file_that_is_not_utf8_is_a_usage_error_naming_the_byte(run, emulator, tmp_path):
    path = tmp_path / "latin1.sql"
    path.write_bytes("SHOW PROVIDERS; -- café".encode("latin-1"))
    r = run("exec", "-f", str(path))
    assert r.code == 2
    assert "not UTF-8" in r.stderr and "0xe9" in r.stderr


def test_dry_run_with_o_json_prints_the_requests_as_json(run, emulator):
    m = str(uuid.uuid4())
    r = run("exec", "--dry-run", "-o", "json", insert_sql(m) + stop_sql(m))
    assert r.code == 0, r.stderr
    starts, stops = (json.loads(chunk) for chunk in r.stdout.replace("]\n[", "]\x00[").split("\x00"))
    assert starts[0]["method"] == "POST" and starts[0]["url"].endswith(f"/meetings/{m}/livestreams")
    assert starts[0]["headers"]["Authorization"] == "Bearer ****"
    assert starts[0]["body"]["name"] == "town-hall"
    assert stops[0]["url"].endswith(f"/meetings/{m}/active-livestream/stop") and stops[0]["body"] is None
    assert emulator.requests == []
