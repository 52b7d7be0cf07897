"""The local SQL engine of SELECT, on rows given directly (no API): what a user's query returns."""

from __future__ import annotations

import pytest

from httpql import localsql
from httpql.errors import NotSupportedError, ProgrammingError
from httpql.sql.dialect import StackQL

ROWS = [{"id": f"ls-{i}", "status": "LIVE" if i % 2 else "IDLE", "disabled": i == 3,
         "data": {"paging": {"total_count": i}, "tags": ["a", "b"]}} for i in range(5)]


def query(sql: str):
    d = StackQL()
    return localsql.run(d.parser().parse(d.tokenize(sql), sql)[0], ROWS)


@pytest.mark.parametrize(("sql", "columns", "rows"), [
    ("SELECT id FROM p.s.r WHERE status = 'LIVE' ORDER BY id DESC", ["id"],
     [{"id": "ls-3"}, {"id": "ls-1"}]),
    ("SELECT status, COUNT(*) AS n FROM p.s.r GROUP BY status ORDER BY n DESC", ["status", "n"],
     [{"status": "IDLE", "n": 3}, {"status": "LIVE", "n": 2}]),
    ("SELECT data.paging.total_count AS n FROM p.s.r ORDER BY n DESC LIMIT 2 OFFSET 1", ["n"],
     [{"n": 3}, {"n": 2}]),
    ("SELECT r.id FROM p.s.r AS r WHERE r.data.paging.total_count = 4", ["id"], [{"id": "ls-4"}]),
    ("SELECT id, disabled FROM p.s.r WHERE disabled", ["id", "disabled"],
     [{"id": "ls-3", "disabled": True}]),
    ("SELECT data FROM p.s.r LIMIT 1", ["data"], [{"data": ROWS[0]["data"]}]),
    ("SELECT DISTINCT status FROM p.s.r ORDER BY 1", ["status"], [{"status": "IDLE"},
                                                                  {"status": "LIVE"}]),
    ("SELECT j.value FROM p.s.r, json_each(data.tags) AS j WHERE id = 'ls-0'", ["value"],
     [{"value": "a"}, {"value": "b"}]),
    ("SELECT id FROM p.s.r WHERE id = 'x'' OR 1=1 --'", ["id"], []),
])
def test_queries(sql, columns, rows):
    assert query(sql) == (columns, rows)


def test_a_dotted_path_keeps_its_name_as_the_column_label():
    columns, rows = query("SELECT data.paging.total_count FROM p.s.r WHERE id = 'ls-2'")
    assert columns == ["data.paging.total_count"] and rows == [{"data.paging.total_count": 2}]


def test_errors_are_httpql_errors():
    with pytest.raises(ProgrammingError, match="local SQL engine"):
        query("SELECT nosuch(id) FROM p.s.r")
    with pytest.raises(NotSupportedError, match="JOIN"):
        query("SELECT * FROM p.s.r JOIN p.s.q ON 1 = 1")


def test_unnest_over_no_rows_still_knows_its_columns():
    d = StackQL()
    sql = "SELECT l.status, COUNT(*) AS n FROM p.s.r, UNNEST(data) AS l GROUP BY l.status"
    tree = d.parser().parse(d.tokenize(sql), sql)[0]
    assert localsql.run(tree, [], declared=("data",)) == (["status", "n"], [])
    star = d.parser().parse(d.tokenize("SELECT l.* FROM p.s.r, UNNEST(data) AS l"), "")[0]
    assert localsql.run(star, [{"data": [{"a": 1}]}]) == (["a"], [{"a": 1}])
