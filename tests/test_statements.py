"""Every Realtime Kit operation is reachable from SQL: one statement per operation, in stackql's
docs form, plans to the documented HTTP method, path, query and body (tests/fixtures/
realtime_kit_statements.sql holds the table)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import httpql

HERE = Path(__file__).resolve().parent
TABLE = HERE / "fixtures" / "realtime_kit_statements.sql"
NAMES = HERE.parent / "provider" / "specs" / "cloudflare-realtime-kit-names.yaml"
BASE = "https://api.cloudflare.com/client/v4"


def cases() -> list:
    out = []
    for block in TABLE.read_text().split("\n\n"):
        lines = [ln for ln in block.strip().splitlines() if ln and not ln.startswith("#")]
        if not lines:
            continue
        title, sql, *expected = lines
        label = title.removeprefix("-- ")
        request = expected[0].removeprefix("=> ")
        body = json.loads(expected[1].removeprefix("=> ")) if len(expected) > 1 else None
        operation_id = label.split(", ")[1].rstrip(")")
        out.append(pytest.param(sql, request, body, operation_id, id=label.split(" ")[0]))
    return out


CASES = cases()


@pytest.fixture(scope="module")
def conn():
    with httpql.connect(dry_run=True, token="t") as c:
        yield c


def test_the_table_covers_every_operation_once():
    named = yaml.safe_load(NAMES.read_text())["operations"]
    assert len(named) == 63
    assert sorted(c.values[3] for c in CASES) == sorted(named)


@pytest.mark.parametrize(("sql", "request_line", "body", "operation_id"), CASES)
def test_statement_plans_to_the_documented_request(conn, sql, request_line, body, operation_id):
    [result] = conn.run(sql)
    [req] = result.requests
    method, _, target = request_line.partition(" ")
    assert (req.method, req.url) == (method, BASE + target)
    assert req.has_body == (body is not None)
    if body is not None:
        assert req.body == body
    plan = conn.planner.plan(result.statement)
    assert plan.method.operation_id == operation_id
    assert plan.method.name == req.operation


def test_show_methods_lists_every_method_in_choice_order(conn):
    rows = conn.execute("SHOW METHODS IN cloudflare.realtime_kit.meetings")
    assert [(r["MethodName"], r["SQLVerb"]) for r in rows] == [
        ("refresh_participant_token", "INSERT"), ("add_participant", "INSERT"),
        ("create", "INSERT"), ("delete_meeting_participant", "DELETE"),
        ("edit_participant", "UPDATE"), ("update_meeting_by_id", "UPDATE"),
        ("replace_meeting_by_id", "REPLACE")]
    add = rows[1]
    assert add["RequiredParams"] == ("account_id, app_id, meeting_id, custom_participant_id, "
                                     "preset_name")
    assert add["OptionalParams"] == "name, picture"


def test_every_resource_and_method_is_listed():
    with httpql.connect(dry_run=True) as c:
        resources = c.execute("SHOW RESOURCES IN cloudflare.realtime_kit")
        methods = [m for r in resources for m in c.execute(f"SHOW METHODS IN {r['id']}")]
    assert len(resources) == 27 and len(methods) == 63


def test_select_plans_carry_the_method_and_where_rows_are(conn):
    stmt = ("SELECT * FROM cloudflare.realtime_kit.kit_meetings WHERE account_id = 'a' "
            "AND app_id = 'b' AND per_page = 20")
    [result] = conn.run(stmt)
    plan = conn.planner.plan(result.statement)
    assert plan.select is not None and plan.rows_at == "$.data"
    assert plan.method.name == "list_by_account"
    assert plan.requests[0].url == f"{BASE}/accounts/a/realtime/kit/b/meetings?per_page=20"


@pytest.mark.parametrize(("sql", "error", "words"), [
    ("UPDATE cloudflare.realtime_kit.meetings SET title = 'x' WHERE account_id = 'a' AND "
     "app_id = 'b' AND meeting_id = 'not-a-uuid'", httpql.DataError, ["meeting_id", "UUID"]),
    ("UPDATE cloudflare.realtime_kit.meetings SET title = 'x' WHERE account_id = 'a' AND "
     "app_id = 'b' AND meeting_id = '4a5e1c2f-8d3b-4f6a-9c7e-2b1d0e9f8a7c' RETURNING dta",
     httpql.ProgrammingError, ["unknown field 'dta'", "data"]),
    ("REPLACE cloudflare.realtime_kit.presets SET name = 'x' WHERE account_id = 'a' AND "
     "app_id = 'b' AND preset_id = 'p'", httpql.NotSupportedError, ["REPLACE", "presets"]),
    ("INSERT INTO cloudflare.realtime_kit.meetings (account_id, app_id, meeting_id, "
     "custom_participant_id, preset_name, name) SELECT 'a', 'b', "
     "'4a5e1c2f-8d3b-4f6a-9c7e-2b1d0e9f8a7c', 'c', 'p', 5", httpql.DataError, ["name", "string"]),
    ("EXEC cloudflare.realtime_kit.active_session.mute_all @account_id='a', @app_id='b', "
     "@meeting_id='4a5e1c2f-8d3b-4f6a-9c7e-2b1d0e9f8a7c'", httpql.ProgrammingError,
     ["allow_unmute"]),
    ("EXEC cloudflare.realtime_kit.active_session.kick @account_id='a', @app_id='b', "
     "@meeting_id='4a5e1c2f-8d3b-4f6a-9c7e-2b1d0e9f8a7c', @participant_ids='[1]', "
     "@custom_participant_ids='[]'", httpql.DataError, ["participant_ids[0]", "string"]),
    ("INSERT INTO cloudflare.realtime_kit.meetings (account_id, app_id, title, "
     "session_keep_alive_time_in_secs) SELECT 'a', 'b', 't', 5", httpql.DataError,
     ["session_keep_alive_time_in_secs", "at least"]),
])
def test_bad_values_are_refused_before_sending(conn, sql, error, words):
    with pytest.raises(error) as info:
        conn.execute(sql)
    for word in words:
        assert word in str(info.value)
