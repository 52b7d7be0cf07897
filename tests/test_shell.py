"""The interactive shell: completion as a pure function, the piped (non-terminal) loop as a real
process, and a real terminal session driven through a pty with pexpect."""

from __future__ import annotations

import io
import json
import re
import sys
import time
from urllib.parse import urlsplit

import pytest
from conftest import RESOURCE, insert_sql, stop_sql

from httpql.cli.completion import suggest
from httpql.cli.meta_commands import COMMANDS, lookup, names, parse_line, split_command
from httpql.cli.shell import is_ready, run_shell
from httpql.cli.sqltext import is_complete, split_vertical
from httpql.errors import ProgrammingError
from httpql.manifest import load_registry
from httpql.output import MARK, width

METHOD = f"{RESOURCE}.stop_livestreaming_a_meeting"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def complete(registry, text: str) -> list[str]:
    return suggest(registry, text, len(text))


# --- statement ends -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "SHOW PROVIDERS;", "SHOW PROVIDERS;  \n", "SHOW PROVIDERS; -- done",
    "SHOW METHODS\n  IN a.b.c;", "SELECT 'a;b' FROM x; /* c */",
])
def test_complete_statements(text):
    assert is_complete(text)


@pytest.mark.parametrize("text", [
    "", "SHOW PROVIDERS", "SHOW PROVIDERS -- ends here;", "SELECT 'a;", "SELECT 'it''s;",
    "SHOW /* ; */ PROVIDERS", "SELECT 1; /* open ;",
])
def test_incomplete_statements(text):
    assert not is_complete(text)


def test_backslash_g_ends_a_statement_and_asks_for_vertical_rows():
    assert is_complete("SHOW PROVIDERS\\G") and is_complete("SHOW PROVIDERS \\G -- x")
    assert not is_complete("SELECT '\\G") and not is_complete("SHOW PROVIDERS \\ G")
    assert split_vertical("SHOW PROVIDERS\\G\n") == ("SHOW PROVIDERS;\n", True)
    assert split_vertical("SHOW PROVIDERS;") == ("SHOW PROVIDERS;", False)


def test_meta_commands_and_blank_lines_submit_at_once_also_mid_statement():
    assert is_ready(".help") and is_ready("  .mode json") and is_ready("quit") and is_ready("")
    assert is_ready("SELECT 1\n\\q") and is_ready("SHOW\n  help") and is_ready("SELECT 1\n.x")
    assert not is_ready("SHOW PROVIDERS") and not is_ready("SELECT 'a\n.help")


# --- meta command parsing -------------------------------------------------------------------------


@pytest.mark.parametrize("line, name", [
    (".exit", ".quit"), (".quit", ".quit"), ("\\q", ".quit"), ("exit", ".quit"), ("QUIT;", ".quit"),
    ("help", ".help"), ("\\?", ".help"), (".help", ".help"), ("  .HELP  ", ".help"),
    ("\\dt", ".tables"), (".resources %live%", ".tables"), ("\\d x", ".describe"),
])
def test_habits_from_other_shells_are_commands(line, name):
    call = parse_line(line)
    assert call is not None and call.command.name == name


@pytest.mark.parametrize("line", ["SELECT 1", "exit now", "quitting", "\\G", ".5", "'.help'"])
def test_sql_lines_are_not_commands(line):
    assert parse_line(line) is None


def test_arguments_and_unknown_commands():
    assert parse_line(".mode json;")[1:] == (lookup(".mode"), "json")
    assert parse_line(".output 'my file;'").arg == "my file;"  # a file name is taken as written
    assert parse_line(".read a.sql;").arg == "a.sql;"
    typed, command, arg = parse_line(".nope x")
    assert (typed, command, arg) == (".nope", None, "x")


def test_a_command_on_the_last_line_is_split_from_the_statement_before_it():
    assert split_command("SELECT *\n  FROM x\n.mode csv") == ("SELECT *\n  FROM x\n",
                                                              parse_line(".mode csv"))
    assert split_command(".help") == ("", parse_line(".help"))
    assert split_command("SELECT 'a\n.help") == ("SELECT 'a\n.help", None)  # inside a string
    assert split_command("SELECT 1") == ("SELECT 1", None)


def test_every_command_has_one_help_line():
    assert len({c.name for c in COMMANDS}) == len(COMMANDS)
    assert all(c.summary and "\n" not in c.summary for c in COMMANDS)


# --- completion ---------------------------------------------------------------------------------


def test_statement_keywords_at_the_start(registry):
    assert "SHOW" in complete(registry, "") and "INSERT INTO" in complete(registry, "")
    assert complete(registry, "se") == ["SELECT"]
    assert complete(registry, "ex") == ["EXEC", "EXPLAIN"]
    assert complete(registry, "SHOW PROVIDERS; des") == ["DESCRIBE"]


def test_show_kinds(registry):
    assert complete(registry, "SHOW ") == ["PROVIDERS", "SERVICES IN", "RESOURCES IN",
                                           "METHODS IN", "INSERT INTO", "EXTENDED"]
    assert complete(registry, "show me") == ["METHODS IN"]
    assert complete(registry, "SHOW EXTENDED ") == ["SERVICES IN", "RESOURCES IN", "METHODS IN"]
    assert complete(registry, "SHOW METHODS ") == ["IN"]


def test_dotted_names_stop_at_the_depth_of_the_context(registry):
    assert complete(registry, "SHOW SERVICES IN ") == ["cloudflare"]
    assert complete(registry, "SHOW SERVICES IN cloudflare.") == []
    assert complete(registry, "SHOW RESOURCES IN cloudflare.") == ["cloudflare.realtime_kit"]
    assert complete(registry, "show methods in CLOUDFLARE.Realtime_Kit.LIVESTREAMS_O") == [
        "cloudflare.realtime_kit.livestreams_overall"]
    assert complete(registry, f"SHOW METHODS IN {RESOURCE}.") == []
    resources = complete(registry, "DESCRIBE cloudflare.realtime_kit.")
    assert RESOURCE in resources and len(resources) == 27
    assert complete(registry, "SELECT * FROM cl") == ["cloudflare"]
    assert complete(registry, "INSERT INTO cloudflare.r") == ["cloudflare.realtime_kit"]


def test_exec_completes_methods_then_their_parameters(registry):
    assert complete(registry, f"EXEC {RESOURCE}.st") == [
        f"{RESOURCE}.start_livestreaming_a_meeting", METHOD]
    assert complete(registry, f"EXEC {METHOD} ") == [
        "@meeting_id", "@account_id", "@app_id", "@@json"]
    assert complete(registry, f"EXEC {METHOD} @meeting_id='m', @a") == ["@account_id", "@app_id"]
    assert complete(registry, f"EXEC {METHOD} @meeting_id=") == []  # a value goes here
    assert complete(registry, f"EXEC {METHOD} @meeting_id='@a") == []  # inside a string
    assert complete(registry, f"EXEC {RESOURCE}.nope @") == []


def test_insert_columns_are_the_insert_parameters(registry):
    assert complete(registry, f"INSERT INTO {RESOURCE} (") == [
        "meeting_id", "account_id", "app_id", "name", "video_config"]
    assert complete(registry, f"insert into {RESOURCE} (name, meeting_id, a") == [
        "account_id", "app_id"]
    assert complete(registry, f"INSERT INTO {RESOURCE} (name) ") == ["SELECT", "VALUES"]


def test_meta_commands_and_their_arguments(registry, tmp_path, monkeypatch):
    assert complete(registry, ".") == names()
    assert complete(registry, ".o") == [".output", ".once"]
    assert complete(registry, ".mode n") == ["ndjson"]
    assert complete(registry, ".timing ") == ["on", "off"]
    assert RESOURCE in complete(registry, ".describe cloudflare.realtime_kit.l")
    assert complete(registry, "SELECT 1\n.vertical o") == ["on", "off"]  # mid-statement too
    (tmp_path / "q.sql").write_text("")
    (tmp_path / "queries").mkdir()
    monkeypatch.chdir(tmp_path)
    assert complete(registry, ".read q") == ["q.sql", "queries/"]


def test_returning_offers_the_response_fields(registry):
    ins = f"INSERT INTO {RESOURCE} (name) VALUES ('x')"
    assert complete(registry, ins + " ") == ["RETURNING"]
    assert sorted(complete(registry, ins + " RETURNING data.s")) == ["data.status",
                                                                     "data.stream_key"]
    assert complete(registry, ins + " RETURNING success, d")[:2] == ["data", "data.id"]
    assert "success" not in complete(registry, ins + " RETURNING success, ")
    assert complete(registry, f"INSERT INTO {RESOURCE} (name) VALUES ('x'), (") == []
    assert complete(registry, f"INSERT INTO {RESOURCE} (name) SELECT 'x' ") == ["RETURNING"]


TOY_PROVIDER = """\
id: toy
version: v0
title: Toy
base_url: https://toy.example.com/api
auth: {type: bearer, credentials_env: TOY_TOKEN}
services:
  widgets: {title: Widgets, description: Things.}
"""

TOY_RESOURCE = """\
name: gadgets
description: Gadgets.
parameters:
  gadget_id: {in: path, type: string}
  colour: {in: query, type: string}
  size: {in: body, type: integer}
fields:
  id: {type: string}
  spec: {type: object, properties: {size: {type: integer}}}
methods:
  - {name: get, sql_verb: select, http_method: GET, path: '/gadgets/{gadget_id}',
     required: [gadget_id], optional: [colour]}
  - {name: resize, sql_verb: update, http_method: PATCH, path: '/gadgets/{gadget_id}',
     required: [gadget_id], optional: [size]}
"""


@pytest.fixture(scope="module")
def toys(tmp_path_factory):
    root = tmp_path_factory.mktemp("providers")
    (root / "toy" / "widgets").mkdir(parents=True)
    (root / "toy" / "provider.yaml").write_text(TOY_PROVIDER)
    (root / "toy" / "widgets" / "gadgets.yaml").write_text(TOY_RESOURCE)
    return load_registry([root])


def test_select_offers_fields_and_where_parameters(toys):
    g = "toy.widgets.gadgets"
    assert complete(toys, f"SELECT * FROM {g} ") == ["WHERE"]
    assert complete(toys, f"SELECT * FROM {g} WHERE ") == ["gadget_id", "colour"]
    assert complete(toys, f"SELECT * FROM {g} WHERE gadget_id = 'a' ") == ["AND"]
    assert complete(toys, f"SELECT * FROM {g} WHERE gadget_id = 'a' AND ") == ["colour"]
    assert complete(toys, f"SELECT * FROM {g} WHERE gadget_id = ") == []
    text = f"SELECT  FROM {g};"
    assert suggest(toys, text, len("SELECT ")) == ["*", "id", "spec", "spec.size"]


def test_update_offers_set_columns_then_where_and_returning(toys):
    g = "toy.widgets.gadgets"
    assert complete(toys, f"UPDATE {g} ") == ["SET"]
    assert complete(toys, f"UPDATE {g} SET ") == ["gadget_id", "size"]
    assert complete(toys, f"UPDATE {g} SET size = 2, ") == ["gadget_id"]
    assert complete(toys, f"UPDATE {g} SET size = 2 ") == ["WHERE", "RETURNING"]
    assert complete(toys, f"UPDATE {g} SET size = 2 WHERE gadget_id = 'a' RETURNING s") == [
        "spec", "spec.size"]


# --- the loop, in-process -----------------------------------------------------------------------


def run_lines(conn, text: str, fmt: str = "json") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    run_shell(conn, fmt, input=io.StringIO(text), output=out, errors=err)
    return out.getvalue(), err.getvalue()


def test_help_lists_every_command_on_one_line_each(conn):
    out, _ = run_lines(conn, ".help\n")
    for command in COMMANDS:
        [line] = [x for x in out.splitlines() if x.lstrip().startswith(command.name + " ")]
        assert command.summary in line


def test_unknown_commands_old_forms_and_quit(conn):
    out, err = run_lines(conn, ".mode\n.mode xml\n.nope\n.output json\nexit\nSHOW PROVIDERS;\n")
    assert out == "json\n"
    assert "error: unknown output format 'xml' (known: table, json, ndjson, csv, text)" in err
    assert "error: unknown command '.nope'; .help lists the commands" in err
    assert "to change the output format use .mode json" in err
    assert "cloudflare" not in out  # nothing runs after exit


def test_help_mid_statement_keeps_the_statement_and_quit_drops_it(conn):
    out, err = run_lines(conn, "SHOW\nhelp\nPROVIDERS;\nSHOW\n\\q\nPROVIDERS;\n", fmt="csv")
    assert "Meta commands" in out
    assert out.count("cloudflare,v1") == 1 and not err


def test_no_exception_ends_the_shell(conn, monkeypatch):
    calls = iter([RuntimeError("boom"), ProgrammingError("bad")])

    def run(sql):
        raise next(calls)

    monkeypatch.setattr(conn, "stream", run)
    out, err = run_lines(conn, "SHOW PROVIDERS;\nSHOW PROVIDERS;\n")
    assert err.splitlines() == ["error: internal error: RuntimeError: boom", "error: bad"]


def test_a_parse_error_points_at_its_column(conn):
    _, err = run_lines(conn, "SHOW PROVIDERS;\nSELECT * FROM\n  cloudflare.x WHERE a = ;\n")
    lines = err.splitlines()
    assert lines[0].startswith("error: syntax error at line 2, column 24")
    assert lines[1:] == ["    cloudflare.x WHERE a = ;", "                         ^"]


def test_output_once_and_read(conn, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "script.sql").write_text(".mode csv\nSHOW PROVIDERS;\n.read inner.sql\n")
    (tmp_path / "inner.sql").write_text("SHOW SERVICES IN cloudflare  -- no ';' at the end\n")
    out, err = run_lines(conn, ".output all.txt\n.read script.sql\n.output\n"
                               ".once one.txt\nSHOW PROVIDERS;\nSHOW PROVIDERS;\n"
                               ".read missing.sql\n.once\n")
    assert (tmp_path / "all.txt").read_text() == (
        "name,version\ncloudflare,v1\n"
        "id,name,title\nrealtime_kit:v1,realtime_kit,Cloudflare Realtime Kit\n")
    assert (tmp_path / "one.txt").read_text() == "name,version\ncloudflare,v1\n"
    assert out == "name,version\ncloudflare,v1\n"  # .once lasts one statement
    assert "error: cannot read missing.sql: No such file or directory" in err
    assert "error: usage: .once FILE" in err


def test_vertical_and_timing(conn):
    out, err = run_lines(conn, ".vertical on\n.timing on\nSHOW PROVIDERS;\n.vertical off\n"
                               "SHOW PROVIDERS\\G\n", fmt="table")
    assert out.count("-[ RECORD 1 ]") == 2 and "name    | cloudflare" in out
    assert re.findall(r"1 row \(\d\.\d+ s\)", err) and len(re.findall("1 row", err)) == 2


def test_tables_and_resource_shortcuts(conn):
    out, err = run_lines(conn, ".tables\n.tables %live%\n.tables nothing\n.describe livestreams\n"
                               ".methods cloudflare.realtime_kit.livestreams\n.describe\n",
                         fmt="csv")
    assert out.count(f"{RESOURCE},") == 2 and "resource,description\n\n" not in out
    assert "data.stream_key,string,field" in out and "stop_livestreaming_a_meeting" in out
    assert "error: usage: .describe RESOURCE" in err


def test_dryrun_switches_sending_off_and_on(conn, emulator, meeting_id):
    out, err = run_lines(conn, f".dryrun on\n{insert_sql(meeting_id)}\n.dryrun\n.dryrun off\n"
                               f"{stop_sql(meeting_id)}\n", fmt="table")
    assert out.startswith(f"POST {emulator.base_url}/accounts/") and "dry run is on\n" in out
    assert "dry run on\ndry run off\nerror: stop_livestreaming_a_meeting failed: HTTP 400" in err
    assert [r.method for r in emulator.requests] == ["POST"]  # only the EXEC was sent


def test_ctrl_c_while_sending_says_the_outcome_is_unknown(conn, monkeypatch, meeting_id):
    from httpql.http.client import HttpClient

    def send(self, req, token):
        raise KeyboardInterrupt  # Ctrl-C while the POST is in flight

    monkeypatch.setattr(HttpClient, "send", send)
    _, err = run_lines(conn, insert_sql(meeting_id) + "\n")
    assert "interrupted while start_livestreaming_a_meeting (POST " in err
    assert "it may have been acted on, the outcome is unknown; to check: see whether meeting " \
           f"{meeting_id} is live" in err


def test_a_last_statement_without_semicolon_still_runs(conn):
    out, _ = run_lines(conn, "SHOW PROVIDERS\n", fmt="csv")
    assert out == "name,version\ncloudflare,v1\n"


# --- piped stdin, as a real process -------------------------------------------------------------


def test_piped_session_keeps_going_after_an_error(httpql_cli, emulator, meeting_id):
    script = "\n".join([
        "SHOW METHODS",
        f"  IN {RESOURCE};  -- two lines, one statement",
        ".mode csv",
        stop_sql(meeting_id),  # fails: nothing is streaming yet
        insert_sql(meeting_id, returning="success, data.status"),
    ]) + "\n"
    r = httpql_cli("shell", "-o", "json", input=script)
    assert r.code == 1, r.stderr  # as sqlite3: piped input that had an error exits 1
    methods, end = json.JSONDecoder().raw_decode(r.stdout)
    assert [m["MethodName"] for m in methods][-1] == "stop_livestreaming_a_meeting"
    assert r.stdout[end:].lstrip() == "success,data.status\ntrue,INVOKED\n"
    assert "output format: csv" in r.stderr
    assert "error: stop_livestreaming_a_meeting failed: HTTP 400" in r.stderr
    assert "Traceback" not in r.stderr
    assert emulator.active_livestream(meeting_id) is not None
    assert httpql_cli("shell", input="SHOW PROVIDERS;\n").code == 0


def test_dry_run_json_is_the_same_in_the_shell_and_exec(httpql_cli, meeting_id):
    sql = insert_sql(meeting_id)
    by_exec = httpql_cli("exec", "--dry-run", "-o", "json", sql)
    by_shell = httpql_cli("shell", "--dry-run", input=f".mode json\n{sql}\n")
    assert by_exec.code == by_shell.code == 0, by_shell.stderr
    [request] = by_exec.json()
    assert request["method"] == "POST" and request["headers"]["Authorization"] == "Bearer ****"
    assert by_shell.stdout == by_exec.stdout


# --- a real terminal ----------------------------------------------------------------------------


def spawn(env, tmp_path, *args, rows=40, cols=80, transcript=None):
    pexpect = pytest.importorskip("pexpect")
    env = {"PAGER": "", **env, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
           "TERM": "xterm"}
    env.pop("PROMPT_TOOLKIT_NO_CPR", None)  # the shell must not warn when CPR goes unanswered
    child = pexpect.spawn(sys.executable, ["-m", "httpql", "shell", *args], env=env,
                          encoding="utf-8", dimensions=(rows, cols), timeout=10, cwd=str(tmp_path))
    child.logfile_read = transcript
    return child


def table_lines(text: str) -> list[str]:
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")  # the prompt's codes
    return [line for line in text.split("\n") if line.startswith("|")]


def test_terminal_session(cli_env, tmp_path, meeting_id):
    """A session as a new user types it, at 80 columns, against `--emulator`."""
    pexpect = pytest.importorskip("pexpect")
    (tmp_path / "methods.sql").write_text(f"SHOW METHODS IN {RESOURCE};\n")
    transcript = io.StringIO()
    child = spawn(cli_env, tmp_path, "--emulator", transcript=transcript)
    try:
        child.expect_exact("requests go to the local emulator")
        child.expect_exact("httpql (emulator)>")  # the prompt says where requests go

        child.send(insert_sql(meeting_id, returning="success, data") + "\r")
        child.expect(r"1 row \(\d\.\d+ s\)")
        lines = table_lines(child.before)
        assert lines and all(width(line) == 80 for line in lines)  # the wide cell is cut to fit
        assert lines[3].startswith("| true ") and lines[3].endswith(f"{MARK} |")

        child.send(stop_sql(meeting_id) + "\r")
        child.expect(r"The operation was despatched successfully \(HTTP 200\) \(\d")

        child.send("SELEC * FROM x;\r")  # a typo: the message, the line and a caret under it
        child.expect_exact("unknown statement 'SELEC' (did you mean SELECT?)")
        child.expect_exact("  SELEC * FROM x;\r\n  ^\r\n")

        child.send("SHOW PROVIDERS;\r")
        child.expect_exact("| cloudflare |")
        child.send("\x12")  # Ctrl-R: search the history, then Enter runs the match
        child.send("PROVI")
        child.expect_exact("PROVI")
        child.send("\r")
        child.expect_exact("| cloudflare |")
        child.expect_exact("1 row")

        child.send(".read methods.sql\r")
        child.expect_exact("| stop_livestreaming_a")
        child.expect_exact("3 rows")

        child.send(".timing off\r")
        child.send("SHOW PROVIDERS;\r")
        child.expect(r"1 row\r\n")
        child.send(".timing on\r")
        child.expect_exact("timing on")

        child.send(".mode json\r")
        child.send("SHOW PROVIDERS;\r")
        child.expect_exact('"name": "cloudflare"')
        child.expect(r"1 row \(")

        child.send(".output out.json\r")
        child.send("SHOW SERVICES IN cloudflare;\r")
        child.expect(r"1 row \(")
        child.send(".output\r")
        assert json.loads((tmp_path / "out.json").read_text())[0]["name"] == "realtime_kit"

        child.send(".exit\r")
        child.expect(pexpect.EOF)
    except Exception:
        print(transcript.getvalue()[-3000:])
        raise
    finally:
        child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in transcript.getvalue()
    history = (tmp_path / "state" / "httpql" / "history").read_text()
    assert "SELEC * FROM x;" in history


def test_terminal_paging_completion_and_quit_mid_statement(cli_env, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    transcript = io.StringIO()
    child = spawn(dict(cli_env, PAGER="sed s/^/paged:/"), tmp_path, rows=12, transcript=transcript)
    try:
        child.expect_exact(f"requests go to {urlsplit(cli_env['CLOUDFLARE_BASE_URL']).hostname}")
        child.expect_exact("httpql (127.0.0.1)>")
        # prompt_toolkit gives up on the cursor-position answer after 2 s; it must not say so
        time.sleep(2.2)
        child.send(".describe livestreams\r")  # 23 lines on a 12-line screen: through $PAGER
        child.expect_exact("paged:| data.stream_key")

        child.send("SHOW METHODS IN cloudflare.realtime_kit.livestreams_ov")
        child.expect_exact("livestreams_overall")  # offered in the menu while typing
        child.send("\t")  # sent apart: a Tab racing the while-typing completion is dropped
        child.send("\r")  # takes the completion
        child.send("\r")
        child.expect_exact("...>")  # Enter without ';' continues the statement
        child.send("\\q\r")  # leaves, from the middle of a statement
        child.expect(pexpect.EOF)
        assert "error:" not in child.before and "MethodName" not in child.before
    finally:
        child.close()
    assert child.exitstatus == 0
    assert "CPR" not in transcript.getvalue()


def test_terminal_ctrl_c_during_a_request_says_the_outcome_is_unknown(cli_env, tmp_path,
                                                                      emulator, meeting_id):
    pexpect = pytest.importorskip("pexpect")
    emulator.inject("delay", seconds=3)  # a slow answer
    child = spawn(cli_env, tmp_path)
    try:
        child.expect_exact("httpql (127.0.0.1)>")
        child.send(insert_sql(meeting_id) + "\r")
        deadline = time.monotonic() + 5
        while not emulator.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        child.sendcontrol("c")
        child.expect_exact("it may have been acted on, the outcome is unknown; to check: see "
                           f"whether meeting {meeting_id} is live")
        child.expect_exact("httpql (127.0.0.1)>")  # the session goes on
        child.send(".quit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert [r.method for r in emulator.requests] == ["POST"]  # sent once, never retried
