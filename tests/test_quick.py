"""The regular-expression parser for SHOW/DESCRIBE scripts agrees with the full sqlglot parser
wherever it answers, and the commands it serves never import sqlglot or httpx."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from httpql.errors import Error
from httpql.sql.dialect import StackQL
from httpql.sql.parse import parse_script
from httpql.sql.quick import quick_parse
from httpql.sql.translate import parse_text


def full(sql: str):
    """(statements with their text and line) from the full parser, or None if it rejects sql."""
    try:
        return [(s, s.text, s.line) for s in parse_text(sql)]
    except Error:
        return None


def agree(sql: str) -> bool:
    quick = quick_parse(sql)
    if quick is None:
        return True  # the full parser decides
    return [(s, s.text, s.line) for s in quick] == full(sql)


@pytest.mark.parametrize("sql", [
    "SHOW PROVIDERS",
    "show providers;",
    "SHOW SERVICES IN cloudflare",
    "SHOW RESOURCES IN cloudflare.realtime_kit",
    "SHOW EXTENDED METHODS IN cloudflare.realtime_kit.livestreams LIKE '%stop%'",
    "SHOW METHODS IN cloudflare.realtime_kit.livestreams LIKE 'it''s'",
    "DESCRIBE cloudflare.realtime_kit.livestreams",
    "desc extended cloudflare.realtime_kit.livestreams",
    "SHOW PROVIDERS;\n\n  DESCRIBE cloudflare.realtime_kit.livestreams ;\nSHOW SERVICES IN x;;",
])
def test_common_statements_take_the_quick_route_and_agree(sql):
    assert quick_parse(sql) is not None
    assert agree(sql)


@pytest.mark.parametrize("sql", [
    "SHOW PROVIDERS IN x",          # the full parser reports these errors
    "SHOW METHODS",
    "SHOW METHODS IN a.b.c LIKE x",
    "DESCRIBE a.b.c garbage",
    "SHOW PROVIDERS -- a comment",
    'DESCRIBE "quoted".b.c',
    "DESCRIBE a.b.c.d",
    "SHOW PROVIDERS; EXEC a.b.c.m @x='1'",
])
def test_anything_uncertain_goes_to_the_full_parser(sql):
    assert quick_parse(sql) is None


KEYWORDS = sorted({k.lower() for k in StackQL.Tokenizer.KEYWORDS if k.isidentifier()}
                  | {"extended", "formatted", "history", "providers", "services", "resources",
                     "methods", "in", "like", "desc", "describe"})
TEMPLATES = ["SHOW METHODS IN {w}.b.c", "SHOW RESOURCES IN a.{w}", "SHOW SERVICES IN {w}",
             "SHOW EXTENDED METHODS IN a.b.{w} LIKE 'x'", "DESCRIBE {w}.b.c", "DESCRIBE a.{w}",
             "DESCRIBE a.b.{w}", "DESCRIBE {w}", "DESC EXTENDED {w}", "DESCRIBE EXTENDED a.{w}.c",
             "DESCRIBE {w}.{w}"]


def test_every_keyword_as_a_name_is_parsed_alike_or_left_to_the_full_parser():
    disagree = [sql for w in KEYWORDS for t in TEMPLATES for case in (str.lower, str.upper)
                if not agree(sql := t.format(w=case(w)))]
    assert not disagree, disagree[:10]


NAMES = hs.sampled_from(["cloudflare", "realtime_kit", "livestreams", "Cloud", "x_1", "_a",
                         "select", "extended", "in", "like", "table", "keys", "b"])
WS = hs.sampled_from([" ", "  ", "\n", "\t", " \n ", "\r\n"])
CASE = hs.sampled_from([str.lower, str.upper, str.title])


@hs.composite
def statement(draw):
    ws = lambda: draw(WS)  # noqa: E731
    dotted = ".".join(draw(hs.lists(NAMES, min_size=1, max_size=4)))
    if draw(hs.booleans()):
        kind = draw(hs.sampled_from(["PROVIDERS", "SERVICES", "RESOURCES", "METHODS"]))
        text = draw(CASE)("SHOW") + ws()
        if draw(hs.booleans()):
            text += draw(CASE)("EXTENDED") + ws()
        text += draw(CASE)(kind)
        if kind != "PROVIDERS" or draw(hs.integers(0, 9)) == 0:
            text += ws() + draw(CASE)("IN") + ws() + dotted
        if draw(hs.booleans()):
            pattern = draw(hs.text(alphabet="ab%_'\\ ;-", max_size=8)).replace("'", "''")
            text += ws() + draw(CASE)("LIKE") + ws() + f"'{pattern}'"
        return text
    text = draw(CASE)(draw(hs.sampled_from(["DESCRIBE", "DESC"]))) + ws()
    if draw(hs.booleans()):
        text += draw(CASE)("EXTENDED") + ws()
    return text + dotted


@settings(max_examples=300, deadline=None)
@given(parts=hs.lists(hs.tuples(statement(), WS, hs.sampled_from([";", "", ";;"])),
                      min_size=1, max_size=4),
       lead=hs.sampled_from(["", "\n", "  ;"]))
def test_random_show_and_describe_scripts_agree(parts, lead):
    sql = lead + "".join(s + w + sep for s, w, sep in parts)
    assert agree(sql)
    # and the public entry point gives the same as the full parser, or the same error
    want = full(sql)
    try:
        got = [(s, s.text, s.line) for s in parse_script(sql)]
    except Error:
        got = None
    assert got == want


def test_show_and_describe_commands_import_neither_sqlglot_nor_httpx():
    code = (
        "import json, sys, httpql\n"
        "with httpql.connect() as c:\n"
        "    c.execute('SHOW PROVIDERS; SHOW METHODS IN cloudflare.realtime_kit.livestreams')\n"
        "    c.execute('DESCRIBE EXTENDED cloudflare.realtime_kit.livestreams')\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'sqlglot', 'httpx'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("sql", ["DESCRIBE `a;b`.c.d", 'DESCRIBE "a;b".c.d',
                                 "SHOW METHODS IN a.b.c LIKE 'x;y'", "SHOW PROVIDERS /* a;b */"])
def test_every_reader_of_sql_text_agrees_where_a_semicolon_is_quoted(sql):
    """sqlglot, the lexer (shape masking, error positions) and the shell's statement end all
    see the ';' inside the quotes or comment, not as the end of a statement."""
    from httpql.cli.sqltext import is_complete
    from httpql.sql.lexer import segments
    from httpql.sql.translate import parse_text

    assert len(parse_text(sql)) == 1
    assert not is_complete(sql) and is_complete(sql + ";")
    assert all(";" not in s.text for s in segments(sql) if s.kind == "code")
