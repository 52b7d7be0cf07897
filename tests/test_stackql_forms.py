"""Statements users paste from stackql's docs and scripts: SHOW INSERT INTO, query hints,
SHOW ... WHERE, EXPLAIN and quoting. One table of statement -> expected rows or error."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ACCOUNT, APP, RESOURCE

import httpql

MEETING = "5b8e2a3c-6f1d-4c2b-9a7e-0d3f4e5a6b7c"
SERVICE = "cloudflare.realtime_kit"

CASES = [
    # (statement, expected rows as a list of dicts of the columns that matter, or an error class)
    (f"SHOW METHODS IN {RESOURCE} WHERE SQLVerb = 'INSERT'",
     [{"MethodName": "start_livestreaming_a_meeting"}, {"MethodName": "create_independent_livestream"}]),
    (f"SHOW METHODS IN {RESOURCE} WHERE SQLVerb = 'EXEC' OR MethodName LIKE 'create%'",
     [{"MethodName": "create_independent_livestream"}, {"MethodName": "stop_livestreaming_a_meeting"}]),
    (f"SHOW METHODS IN {RESOURCE} WHERE sqlverb = 'INSERT' AND NOT RequiredParams LIKE '%meeting%'",
     [{"MethodName": "create_independent_livestream"}]),
    (f"SHOW METHODS IN {RESOURCE} WHERE SQLVerb IN ('SELECT', 'DELETE')", []),
    (f"SHOW RESOURCES IN {SERVICE} WHERE name LIKE '%overall%' OR name = 'apps'",
     [{"name": "apps"}, {"name": "livestreams_overall"}]),
    (f"SHOW RESOURCES IN {SERVICE} LIKE \"%overall%\"", [{"name": "livestreams_overall"}]),
    (f"SHOW METHODS IN {RESOURCE} WHERE nosuch = 1", httpql.ProgrammingError),
    (f"SHOW METHODS IN {RESOURCE} WHERE SQLVerb + 1", httpql.ParseError),
    ("SHOW METHODS IN `cloudflare`.`realtime_kit`.`livestreams` WHERE SQLVerb = 'EXEC'",
     [{"MethodName": "stop_livestreaming_a_meeting"}]),
    ('SHOW METHODS IN "cloudflare"."realtime_kit"."livestreams" WHERE SQLVerb = \'EXEC\'',
     [{"MethodName": "stop_livestreaming_a_meeting"}]),
    ("DESCRIBE TABLE `cloudflare`.realtime_kit.livestreams", [{"name": "data"}]),
    (f"DESCRIBE TABLE {RESOURCE}", [{"name": "data"}]),
    (f"EXPLAIN INSERT INTO {RESOURCE} (name, account_id, app_id) VALUES ('a', '{ACCOUNT}', '{APP}')",
     [{"method": "POST", "body": {"name": "a"},
       "url": f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/realtime/kit/{APP}/livestreams"}]),
    (f"EXPLAIN EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{MEETING}', "
     f"@account_id='{ACCOUNT}', @app_id='{APP}'", [{"method": "POST", "body": None}]),
    ("EXPLAIN SHOW PROVIDERS", []),
    ("EXPLAIN", httpql.ParseError),
    (f"EXPLAIN INSERT INTO {RESOURCE} (name) VALUES ('a')", httpql.ProgrammingError),
    (f"SHOW INSERT INTO {RESOURCE}.stop_livestreaming_a_meeting", httpql.ProgrammingError),
    (f"SHOW INSERT INTO {RESOURCE}.nosuch", httpql.ProgrammingError),
]


@pytest.mark.parametrize(("sql", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_statement_table(sql, expected):
    with httpql.connect(token="t", base_url="https://api.cloudflare.com/client/v4") as conn:
        if isinstance(expected, type):
            with pytest.raises(expected):
                conn.execute(sql)
            return
        rows = conn.execute(sql)
    if expected and "name" in expected[0] and "MethodName" not in expected[0] and len(rows) > 1:
        rows = rows[:len(expected)]  # DESCRIBE: the first rows are what matters
    assert [{k: r[k] for k in e} for r, e in zip(rows, expected)] == expected
    assert len(rows) == len(expected)


def test_explain_sends_nothing_and_masks_the_token(emulator):
    with httpql.connect(base_url=emulator.base_url, token=emulator.token) as conn:
        (row,) = conn.execute(f"EXPLAIN INSERT INTO {RESOURCE} (account_id, app_id) "
                              f"VALUES ('{ACCOUNT}', '{APP}')")
    assert emulator.requests == []
    assert row["headers"]["Authorization"] == "Bearer ****"
    assert emulator.token not in repr(row)


@pytest.mark.parametrize("hint", ["INSERT /*+ AWAIT */ INTO", "INSERT /*+ AWAIT */  INTO"])
def test_await_runs_the_statement_and_says_the_method_is_not_awaitable(emulator, conn, hint):
    result, = conn.run(f"{hint} {RESOURCE} (account_id, app_id) VALUES ('{ACCOUNT}', '{APP}') "
                       "RETURNING success")
    assert result.rows == [{"success": True}] and len(emulator.requests) == 1
    assert any("not awaitable" in w for w in result.warnings)


@pytest.mark.parametrize("sql", [
    f"UPDATE /*+ AWAIT */ {RESOURCE} SET name = 'x' WHERE account_id = 'a'",
    f"DELETE /*+ AWAIT */ FROM {RESOURCE} WHERE account_id = 'a'",
    f"EXEC /*+ AWAIT */ {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{MEETING}'",
    f"SHOW INSERT /*+ REQUIRED */ INTO {RESOURCE}",
])
def test_hints_parse_wherever_stackql_allows_them(sql):
    from httpql.sql.parse import parse_script

    (stmt,) = parse_script(sql)
    assert stmt.hints in (("AWAIT",), ("REQUIRED",))


def test_showresults_shows_the_answer_of_an_exec(emulator, conn):
    rows = conn.execute(f"EXEC /*+ SHOWRESULTS */ {RESOURCE}.start_livestreaming_a_meeting "
                        f"@meeting_id='{MEETING}', @account_id='{ACCOUNT}', @app_id='{APP}'")
    assert rows[0]["success"] is True and rows[0]["data"]["stream_key"]


def test_show_insert_into_makes_a_statement_that_runs(emulator, cli_env, tmp_path):
    with httpql.connect(token="t") as conn:
        (full,) = conn.execute(f"SHOW INSERT INTO {RESOURCE}")
        (required,) = conn.execute(f"SHOW INSERT /*+ REQUIRED */ INTO {RESOURCE}")
    text = full["insert_statement"]
    assert text.startswith(f"INSERT INTO {RESOURCE} (\nmeeting_id,")
    assert "'{{ meeting_id }}', -- required, string (uuid)" in text
    assert "'{{ video_config }}' -- optional, object" in text
    assert "name" not in required["insert_statement"]
    script = tmp_path / "insert.iql"
    script.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "httpql", "exec", "-o", "json", "-f", str(script),
         "--var", f"meeting_id={MEETING}", "--var", f"account_id={ACCOUNT}",
         "--var", f"app_id={APP}", "--var", "name=town-hall",
         "--var", 'video_config={"height": 720, "width": 1280}'],
        capture_output=True, text=True, env=cli_env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    (req,) = emulator.requests
    assert req.method == "POST" and req.raw_path.endswith(f"/meetings/{MEETING}/livestreams")
    assert req.json() == {"name": "town-hall", "video_config": {"height": 720, "width": 1280}}


def test_the_shell_completes_the_new_forms():
    from httpql.cli.completion import suggest

    with httpql.connect(token="t") as conn:
        def complete(text):
            return suggest(conn.registry, text, len(text))

        assert "INSERT INTO" in complete("SHOW ")
        assert complete("SHOW INSERT ") == ["INTO", "/*+ REQUIRED */ INTO"]
        assert RESOURCE in complete("SHOW INSERT INTO cloudflare.realtime_kit.live")
        assert f"{RESOURCE}.create_independent_livestream" in complete(
            f"SHOW INSERT INTO {RESOURCE}.")
        assert complete(f"SHOW METHODS IN {RESOURCE} W") == ["WHERE"]
        assert complete("EXP") == ["EXPLAIN"]
        assert complete("EXPLAIN ") == complete("")
