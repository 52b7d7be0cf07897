"""The interactive shell: completion as a pure function, the piped (non-terminal) loop as a real
process, and a real terminal session driven through a pty with pexpect."""

from __future__ import annotations

import io
import json
import sys

import pytest
from conftest import RESOURCE, insert_sql, stop_sql

from httpql.cli.shell import META, is_complete, is_ready, run_shell, suggest
from httpql.errors import ProgrammingError
from httpql.manifest import load_registry

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


def test_meta_commands_and_blank_lines_submit_at_once():
    assert is_ready(".help") and is_ready("  .output json") and is_ready("quit") and is_ready("")
    assert not is_ready("SHOW PROVIDERS") and not is_ready("SELECT 1\n.x")


# --- completion ---------------------------------------------------------------------------------


def test_statement_keywords_at_the_start(registry):
    assert "SHOW" in complete(registry, "") and "INSERT INTO" in complete(registry, "")
    assert complete(registry, "se") == ["SELECT"]
    assert complete(registry, "ex") == ["EXEC"]
    assert complete(registry, "SHOW PROVIDERS; des") == ["DESCRIBE"]


def test_show_kinds(registry):
    assert complete(registry, "SHOW ") == ["PROVIDERS", "SERVICES IN", "RESOURCES IN",
                                           "METHODS IN", "EXTENDED"]
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


def test_meta_commands_and_their_arguments(registry):
    assert complete(registry, ".") == list(META)
    assert complete(registry, ".o") == [".output"]
    assert complete(registry, ".output n") == ["ndjson"]


# --- the loop, in-process -----------------------------------------------------------------------


def run_lines(conn, text: str, fmt: str = "json") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    run_shell(conn, fmt, input=io.StringIO(text), output=out, errors=err)
    return out.getvalue(), err.getvalue()


def test_meta_commands_unknown_ones_and_quit(conn):
    out, err = run_lines(conn, ".help\n.output\n.output xml\n.nope\nexit\nSHOW PROVIDERS;\n")
    assert all(name in out for name in META)
    assert "json\n" in out
    assert "error: unknown output format 'xml'" in err
    assert "error: unknown command '.nope' (known: .help, .quit, .output" in err
    assert "cloudflare" not in out  # nothing runs after exit


def test_no_exception_ends_the_shell(conn, monkeypatch):
    calls = iter([RuntimeError("boom"), ProgrammingError("bad")])

    def run(sql):
        raise next(calls)

    monkeypatch.setattr(conn, "run", run)
    out, err = run_lines(conn, "SHOW PROVIDERS;\nSHOW PROVIDERS;\n")
    assert err.splitlines() == ["internal error: RuntimeError: boom", "error: bad"]


def test_a_last_statement_without_semicolon_still_runs(conn):
    out, _ = run_lines(conn, "SHOW PROVIDERS\n", fmt="csv")
    assert out == "name,version\ncloudflare,v1\n"


# --- piped stdin, as a real process -------------------------------------------------------------


def test_piped_session_keeps_going_after_an_error(httpql_cli, emulator, meeting_id):
    script = "\n".join([
        "SHOW METHODS",
        f"  IN {RESOURCE};  -- two lines, one statement",
        ".output csv",
        stop_sql(meeting_id),  # fails: nothing is streaming yet
        insert_sql(meeting_id, returning="success, data.status"),
    ]) + "\n"
    r = httpql_cli("shell", "-o", "json", input=script)
    assert r.code == 0, r.stderr
    methods, end = json.JSONDecoder().raw_decode(r.stdout)
    assert [m["MethodName"] for m in methods][-1] == "stop_livestreaming_a_meeting"
    assert r.stdout[end:].lstrip() == "success,data.status\ntrue,INVOKED\n"
    assert "output format: csv" in r.stderr
    assert "error: stop_livestreaming_a_meeting failed: HTTP 400" in r.stderr
    assert "Traceback" not in r.stderr
    assert emulator.active_livestream(meeting_id) is not None


# --- a real terminal ----------------------------------------------------------------------------


def test_terminal_session(cli_env, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    env = dict(cli_env, HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
               TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")  # no cursor-position query to wait on
    child = pexpect.spawn(sys.executable, ["-m", "httpql", "shell"], env=env, encoding="utf-8",
                          dimensions=(40, 200), timeout=10)
    try:
        # prompt_toolkit draws the prompt's trailing space as a cursor move
        child.expect_exact("httpql>")
        child.send("SHOW METHODS\r")
        child.expect_exact("...>")  # Enter without ';' continues the statement
        child.send(f"IN {RESOURCE};\r")
        child.expect_exact("MethodName")
        child.expect_exact("stop_livestreaming_a_meeting")

        child.send(".help\r")
        for name in META:  # .help lists the registry in order
            child.expect_exact(name)

        child.send("SHOW METHODS IN cloudflare.realtime_kit.livestreams_ov")
        child.expect_exact("livestreams_overall")  # offered in the menu while typing
        child.send("\t")  # sent apart: a Tab racing the while-typing completion is dropped
        child.send(";\r")  # runs only if Tab inserted the resource name
        child.expect_exact("MethodName")
        child.expect_exact("SELECT")  # livestreams_overall's one method

        child.send("SHOW NONSENSE")
        child.sendcontrol("c")  # drops the buffer instead of leaving
        child.send(".quit\r")
        child.expect(pexpect.EOF)
        assert "error:" not in child.before
    finally:
        child.close()
    assert child.exitstatus == 0
    history = (tmp_path / "state" / "httpql" / "history").read_text()
    assert "SHOW METHODS\n+IN" in history and "NONSENSE" not in history
