"""SQL text -> typed statements (httpql.sql.parse.parse_script), and clear errors for bad SQL."""

from __future__ import annotations

import pytest
from conftest import DOC_EXEC, DOC_INSERT

import httpql
from httpql.sql import statements as st
from httpql.sql.parse import parse_script
from httpql.sql.statements import Column

RES = ("cloudflare", "realtime_kit", "livestreams")
R = ".".join(RES)
STOP = (*RES, "stop_livestreaming_a_meeting")
MEETING = "3f1c2a9e-8b7d-4c6e-9f01-23456789abcd"

def fill_doc(text: str) -> str:
    return (text.replace("{{ name }}", "town-hall")
            .replace("{{ video_config }}", '{"height": 720, "width": 1280}')
            .replace("{{ meeting_id }}", MEETING)
            .replace("{{ account_id }}", "acc")
            .replace("{{ app_id }}", "app"))


def col(*path: str, alias: str | None = None) -> Column:
    return Column(path=tuple(path), alias=alias)


GOOD = [
    pytest.param(
        f"INSERT INTO {R} (name, video_config, meeting_id, account_id, app_id) "
        f"SELECT 'town-hall', '{{\"height\": 720}}', '{MEETING}', 'acc', 'app'",
        [st.Insert(target=RES, columns=("name", "video_config", "meeting_id", "account_id", "app_id"),
                   rows=(("town-hall", '{"height": 720}', MEETING, "acc", "app"),))],
        id="insert-select"),
    pytest.param(
        f"INSERT INTO {R} (name, account_id, app_id) VALUES ('a', 'acc', 'app'), ('b', 'acc', 'app'), "
        "('c', 'acc', 'app')",
        [st.Insert(target=RES, columns=("name", "account_id", "app_id"),
                   rows=(("a", "acc", "app"), ("b", "acc", "app"), ("c", "acc", "app")))],
        id="insert-values-several-rows"),
    pytest.param(
        f"INSERT INTO {R} (name, account_id) SELECT 'a', 'x' UNION ALL SELECT 'b', 'y' "
        "UNION ALL SELECT 'c', 'z'",
        [st.Insert(target=RES, columns=("name", "account_id"),
                   rows=(("a", "x"), ("b", "y"), ("c", "z")))],
        id="insert-union-all"),
    pytest.param(
        f"INSERT INTO {R} (name) SELECT 'a' RETURNING data, success",
        [st.Insert(target=RES, columns=("name",), rows=(("a",),),
                   returning=(col("data"), col("success")))],
        id="returning-names"),
    pytest.param(
        f"INSERT INTO {R} (name) SELECT 'a' RETURNING data.stream_key AS key, data.id",
        [st.Insert(target=RES, columns=("name",), rows=(("a",),),
                   returning=(col("data", "stream_key", alias="key"), col("data", "id")))],
        id="returning-dotted-alias"),
    pytest.param(
        f"INSERT INTO {R} (name) SELECT 'a' RETURNING *",
        [st.Insert(target=RES, columns=("name",), rows=(("a",),), returning=(col(),))],
        id="returning-star"),
    pytest.param(
        f"INSERT INTO {R} (name, account_id) VALUES (NULL, 'it''s'), ('n', 'semi;colon--not-a-comment')",
        [st.Insert(target=RES, columns=("name", "account_id"),
                   rows=((None, "it's"), ("n", "semi;colon--not-a-comment")))],
        id="values-null-escaped-quote-semicolon"),
    pytest.param(
        f"EXEC {R}.stop_livestreaming_a_meeting @meeting_id='{MEETING}' @account_id='acc' @app_id='app'",
        [st.Exec(target=STOP, params=(("meeting_id", MEETING), ("account_id", "acc"), ("app_id", "app")))],
        id="exec-without-commas"),
    pytest.param(
        f"EXEC {R}.stop_livestreaming_a_meeting @meeting_id='{MEETING}', @account_id='acc', @app_id='app'",
        [st.Exec(target=STOP, params=(("meeting_id", MEETING), ("account_id", "acc"), ("app_id", "app")))],
        id="exec-with-commas"),
    pytest.param(
        fill_doc(DOC_EXEC),
        [st.Exec(target=STOP, params=(("meeting_id", MEETING), ("account_id", "acc"), ("app_id", "app")))],
        id="exec-as-in-stackql-docs"),
    pytest.param(
        fill_doc(DOC_INSERT),
        [st.Insert(target=RES, columns=("name", "video_config", "meeting_id", "account_id", "app_id"),
                   rows=(("town-hall", '{"height": 720, "width": 1280}', MEETING, "acc", "app"),),
                   returning=(col("data"), col("success")))],
        id="insert-as-in-stackql-docs"),
    pytest.param(
        "EXEC a.b.c.m @n=7, @f=1.5, @neg=-3, @t=TRUE, @nul=NULL",
        [st.Exec(target=("a", "b", "c", "m"),
                 params=(("n", 7), ("f", 1.5), ("neg", -3), ("t", True), ("nul", None)))],
        id="exec-literal-types"),
    pytest.param(
        f"EXEC {R}.start_livestreaming_a_meeting @meeting_id='{MEETING}', @account_id='acc', "
        "@app_id='app', @@json='{\"name\": \"x\"}'",
        [st.Exec(target=(*RES, "start_livestreaming_a_meeting"),
                 params=(("meeting_id", MEETING), ("account_id", "acc"), ("app_id", "app")),
                 body_json='{"name": "x"}', has_body_json=True)],
        id="exec-json-body"),
    pytest.param("SHOW PROVIDERS", [st.Show(kind="PROVIDERS")], id="show-providers"),
    pytest.param("SHOW PROVIDERS LIKE 'cloud%'", [st.Show(kind="PROVIDERS", like="cloud%")],
                 id="show-providers-like"),
    pytest.param("SHOW SERVICES IN cloudflare LIKE 'real%'",
                 [st.Show(kind="SERVICES", target=("cloudflare",), like="real%")], id="show-services"),
    pytest.param("SHOW RESOURCES IN cloudflare.realtime_kit LIKE '%live%'",
                 [st.Show(kind="RESOURCES", target=("cloudflare", "realtime_kit"), like="%live%")],
                 id="show-resources"),
    pytest.param(f"SHOW METHODS IN {R}", [st.Show(kind="METHODS", target=RES)], id="show-methods"),
    pytest.param(f"SHOW EXTENDED METHODS IN {R} LIKE '%stop%'",
                 [st.Show(kind="METHODS", target=RES, extended=True, like="%stop%")],
                 id="show-extended-methods-like"),
    pytest.param(f"show extended methods in {R}",
                 [st.Show(kind="METHODS", target=RES, extended=True)], id="lower-case-keywords"),
    pytest.param(f"DESCRIBE {R}", [st.Describe(target=RES)], id="describe"),
    pytest.param(f"DESCRIBE EXTENDED {R}", [st.Describe(target=RES, extended=True)],
                 id="describe-extended"),
    pytest.param(
        f"SELECT data.id, success AS ok FROM {R} WHERE account_id = 'acc' AND app_id = 'app'",
        [st.Select(target=RES, columns=(col("data", "id"), col("success", alias="ok")),
                   where=(("account_id", "acc"), ("app_id", "app")), slots=("acc", "app"))],
        id="select-where"),
    pytest.param(f"SELECT * FROM {R}", [st.Select(target=RES, columns=(col(),))], id="select-star"),
]


@pytest.mark.parametrize(("sql", "expected"), GOOD)
def test_parses_into_typed_statements(sql, expected):
    got = parse_script(sql)
    assert got == expected
    assert [type(s) for s in got] == [type(s) for s in expected]


def test_same_shape_with_other_values_gives_other_values():
    # statements that differ only in their literals must never share values
    a = parse_script("EXEC a.b.c.m @x='first', @y='1'")
    b = parse_script("EXEC a.b.c.m @x='second', @y='2'")
    assert a[0].params == (("x", "first"), ("y", "1"))
    assert b[0].params == (("x", "second"), ("y", "2"))
    assert b[0].text == "EXEC a.b.c.m @x='second', @y='2'"


SCRIPT = """-- a leading comment; with a semicolon
SHOW PROVIDERS;
/* a block comment
   over two lines; with a semicolon */
SHOW SERVICES IN cloudflare;   -- trailing comment

DESCRIBE cloudflare.realtime_kit.livestreams
;
EXEC a.b.c.m
  @x='1' -- required,
  @y='two;three'
"""


def test_script_statements_text_and_line_numbers():
    got = parse_script(SCRIPT)
    assert [type(s) for s in got] == [st.Show, st.Show, st.Describe, st.Exec]
    assert [s.line for s in got] == [2, 5, 7, 9]
    assert got[0].text == "SHOW PROVIDERS"
    assert got[1].text == "SHOW SERVICES IN cloudflare"
    assert got[3].params == (("x", "1"), ("y", "two;three"))
    assert "@y='two;three'" in got[3].text


@pytest.mark.parametrize("sql", ["", ";", "  ;; ", "-- only a comment\n", "/* nothing */"])
def test_empty_scripts_have_no_statements(sql):
    assert parse_script(sql) == []


# sql, line, column, text that the message must show (case-insensitive), extra text expected
BAD = [
    pytest.param("SELEC * FROM a.b.c", 1, 1, "SELEC", "did you mean SELECT", id="unknown-word-select"),
    pytest.param(f"INSRT INTO {R} (name) SELECT 'a'", 1, 1, "INSRT", "did you mean INSERT",
                 id="unknown-word-insert"),
    pytest.param("EXCE a.b.c.m @x='1'", 1, 1, "EXCE", "did you mean EXEC", id="unknown-word-exec"),
    pytest.param("SHOW PROVIDERS;\n  -- note\n   SELCT * FROM x", 3, 4, "SELCT", "did you mean SELECT",
                 id="unknown-word-line-3"),
    pytest.param("DROP TABLE x", 1, 1, "DROP", "", id="drop"),
    pytest.param("EXEC a.b.c.m @x='abc", 1, 17, "'abc", "unterminated", id="unterminated-string"),
    pytest.param("SHOW PROVIDERS;\nEXEC a.b.c.m\n  @x='abc", 3, 6, "'abc", "unterminated",
                 id="unterminated-string-line-3"),
    pytest.param("SHOW PROVIDERS; /* never closed", 1, 17, "/*", "unterminated",
                 id="unterminated-comment"),
    # a missing '=' may be reported at the parameter, its name or where '=' was expected
    pytest.param("EXEC x @p", 1, (8, 9, 10), "@p", "=", id="exec-param-without-equals"),
    pytest.param("EXEC a.b.c.m @x='1' @y", 1, (21, 22, 23), "@y", "=",
                 id="exec-second-param-without-equals"),
    pytest.param("SHOW PROVIDERS;\n\n  EXEC a.b.c.m @p 'x'", 3, (17, 18, 19), "@p", "=",
                 id="exec-missing-equals-line-3"),
    pytest.param("EXEC a.b.c.m x='1'", 1, 14, "x", "@", id="exec-param-without-at"),
    pytest.param("SHOW TABLES", 1, 6, "TABLES", "PROVIDERS", id="show-tables"),
    pytest.param("SHOW METHODS cloudflare.realtime_kit.livestreams", 1, 14, "cloudflare", "IN",
                 id="show-without-in"),
    pytest.param("SHOW METHODS IN a.b.c LIKE x", 1, 28, "x", "LIKE", id="like-unquoted"),
    pytest.param(f"DESCRIBE {R} garbage", 1, 46, "garbage", "", id="trailing-garbage"),
    pytest.param("INSERT INTO a.b.c (x) SELECT upper('a')", 1, 30, "upper('a')", "literal",
                 id="function-call-as-value"),
    pytest.param("EXEC a.b.c.m @x=now()", 1, 17, "now()", "literal", id="function-call-in-exec"),
    pytest.param("INSERT INTO a.b.c (x) SELECT 'a' UNION SELECT 'b'", 1, 34, "UNION", "UNION ALL",
                 id="plain-union"),
    pytest.param("INSERT INTO a.b.c (x) SELECT 'a' RETURNING data AS", 1, 49, "AS", "name after AS",
                 id="as-without-a-name"),
]


@pytest.mark.parametrize(("sql", "line", "column", "offending", "extra"), BAD)
def test_bad_sql_names_line_column_and_text(sql, line, column, offending, extra):
    with pytest.raises(httpql.ProgrammingError) as info:
        parse_script(sql)
    e = info.value
    msg = str(e)
    assert isinstance(e, httpql.Error)
    columns = column if isinstance(column, tuple) else (column,)
    assert f"line {line}" in msg, msg
    assert any(f"column {c}" in msg for c in columns), msg
    assert offending.lower() in msg.lower(), msg
    assert extra in msg, msg
    if isinstance(e, httpql.ParseError):
        assert e.line == line
        assert e.col in columns


# errors the parser finds in a statement's meaning, after its grammar
SEMANTIC = [
    pytest.param("INSERT INTO a.b.c SELECT 'a'", "column list", id="insert-without-columns"),
    pytest.param("INSERT INTO a.b.c (x, y) SELECT 'a'", "(x, y)", id="row-too-short"),
    pytest.param("INSERT INTO a.b.c (x) VALUES ('a'), ('b', 'c')", "row 2", id="values-row-too-long"),
    pytest.param("INSERT INTO a.b.c (x, x) SELECT 'a', 'b'", "x is listed twice", id="column-twice"),
    pytest.param("EXEC a.b.c.m @x='1' @x='2'", "@x", id="exec-param-twice"),
    pytest.param("EXEC a.b.c.m @@body='{}'", "@@json", id="unknown-double-at"),
    pytest.param("INSERT INTO a.b.c (x) VALUES (1 + 2)", "1 + 2", id="expression-as-value"),
    pytest.param("EXEC a.b.c.m @x=col", "col", id="column-ref-as-value"),
    pytest.param("INSERT INTO a.b.c (x) SELECT 'a' RETURNING upper(data)", "UPPER(data)",
                 id="returning-function"),
    pytest.param("INSERT INTO a.b.c (x) SELECT 'a' FROM t", "FROM", id="insert-select-from"),
]


@pytest.mark.parametrize(("sql", "text"), SEMANTIC)
def test_meaning_errors_are_programming_errors(sql, text):
    with pytest.raises(httpql.ProgrammingError) as info:
        parse_script(sql)
    assert text.lower() in str(info.value).lower()


LINE_CHECKED = ["insert-without-columns", "row-too-short", "exec-param-twice"]


@pytest.mark.parametrize(("sql", "text"), [p for p in SEMANTIC if p.id in LINE_CHECKED])
def test_meaning_errors_say_which_line(sql, text):
    script = f"SHOW PROVIDERS;\nSHOW PROVIDERS;\n{sql};"
    with pytest.raises(httpql.ProgrammingError) as info:
        parse_script(script)
    assert "line 3" in str(info.value), str(info.value)


ODD = ["(", ")", "'", '"', "@@", "1", "SHOW", "EXEC", "EXEC @", "EXEC a..b", "INSERT INTO",
       "UPDATE", "DELETE", "(SELECT 1)", "SELECT * FROM a.b.c WHERE", "INSERT INTO a.b.c (x) VALUES",
       f"INSERT INTO {R} (name) SELECT 'a' RETURNING", "EXEC a.b.c.m @x='1' @",
       "EXEC a.b.c.m @x=0x1F", "SHOW METHODS IN a.b.c LIKE 'x' LIKE 'y'", "WITH x AS (SELECT 1) SELECT 1",
       "EXPLAIN SELECT 1", "SET x = 1", "USE a", "BEGIN", "`x", "EXEC a.b.c.m @x=(SELECT 1)"]


@pytest.mark.parametrize("sql", ODD)
def test_odd_input_gives_an_httpql_error_without_parser_internals(sql):
    with pytest.raises((httpql.ProgrammingError, httpql.NotSupportedError)) as info:
        parse_script(sql)
    msg = str(info.value)
    assert msg
    for internal in ("sqlglot", "<class", "<Token", "Traceback"):
        assert internal not in msg, msg


def test_syntax_error_in_third_statement_stops_the_whole_script():
    script = ("SHOW PROVIDERS;\n"
              "SHOW SERVICES IN cloudflare;\n"
              "SHOW TABLES;\n")
    with pytest.raises(httpql.ParseError) as info:
        parse_script(script)
    assert info.value.line == 3
    assert "TABLES" in str(info.value)


def test_statement_text_is_kept_on_errors():
    with pytest.raises(httpql.ProgrammingError) as info:
        parse_script("SHOW PROVIDERS;\nINSERT INTO a.b.c (x, x) SELECT 'a', 'b'")
    assert info.value.statement is not None
    assert "INSERT INTO a.b.c (x, x)" in info.value.statement


# clauses sqlglot understands but httpql would otherwise drop: refused with their position
DROPPED = [
    (f"INSERT INTO {R} (name) SELECT 'a' LIMIT 0", "LIMIT"),
    (f"INSERT INTO {R} (name) SELECT 'a' UNION ALL SELECT 'b' LIMIT 1", "LIMIT"),
    (f"INSERT INTO {R} (name) SELECT 'a' ON CONFLICT DO NOTHING", "ON CONFLICT"),
    (f"INSERT OR REPLACE INTO {R} (name) SELECT 'a'", "INSERT OR"),
    (f"INSERT OVERWRITE TABLE {R} (name) SELECT 'a'", "OVERWRITE"),
    (f"INSERT INTO {R} (name) SELECT DISTINCT 'a'", "DISTINCT"),
    (f"INSERT INTO {R} (name) SELECT 'a' ORDER BY 1", "ORDER BY"),
    (f"INSERT INTO {R} (name) SELECT 'a' RETURNING data INTO x", "INTO"),
    (f"INSERT INTO {R} (name) VALUES ('a') foo", "alias"),
    (f"INSERT INTO {R} AS x (name) SELECT 'a'", "alias"),
    (f"DESCRIBE {R} LIKE 'zzz'", "zzz"),
    (f"DESCRIBE FORMATTED {R}", "FORMATTED"),
    (f"DESCRIBE {R} PARTITION (a=1)", "PARTITION"),
]


@pytest.mark.parametrize(("sql", "clause"), DROPPED)
def test_clauses_httpql_would_drop_are_refused(sql, clause):
    with pytest.raises(httpql.ParseError) as info:
        parse_script(sql)
    msg = str(info.value)
    assert clause in msg and "not supported" in msg and "line 1" in msg, msg


def test_thousands_of_union_all_rows_parse_in_order():
    rows = " UNION ALL ".join(f"SELECT 'n{i}'" for i in range(3000))
    (stmt,) = parse_script(f"INSERT INTO {R} (name) {rows}")
    assert [r[0] for r in stmt.rows] == [f"n{i}" for i in range(3000)]


def test_a_long_and_chain_in_where_is_read_whole():
    conditions = " AND ".join(f"x{i} = {i}" for i in range(2000))
    (stmt,) = parse_script(f"SELECT a FROM {R} WHERE {conditions}")
    assert stmt.where[0] == ("x0", 0) and stmt.where[-1] == ("x1999", 1999)


def test_a_shape_is_learnt_on_its_second_sighting_and_then_filled():
    from httpql.sql import parse

    def sql(m):
        return f"EXEC a.b.c.learnt_shape @meeting_id='{m}', @x=1"

    first = parse_script(sql("m1"))
    shape = parse.shapes.mask(sql("m1"))[0]
    assert shape not in parse._SHAPES  # a one-off script costs one parse
    parse_script(sql("m2"))
    assert parse._SHAPES.get(shape)  # learnt
    third = parse_script(sql("it''s 3"))
    assert first[0].params == (("meeting_id", "m1"), ("x", 1))
    assert third[0].params == (("meeting_id", "it's 3"), ("x", 1))
    assert third[0].text == sql("it''s 3")


def test_select_without_from_is_not_supported_yet():
    with pytest.raises(httpql.NotSupportedError, match="SELECT without FROM"):
        parse_script("SELECT 1")
