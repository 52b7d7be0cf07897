"""A regular-expression parser for scripts made only of SHOW and DESCRIBE statements.

These are what people type first and most often, and they are answered from the manifests alone;
importing sqlglot would be most of their start-up time. Anything this parser is not certain of
(comments, quoted names, keywords used as names, odd spacing) returns None, and the full parser
in ``translate.py`` decides, errors included. ``tests/test_quick.py`` checks that both parsers
agree wherever this one answers.
"""

from __future__ import annotations

import re

from . import statements as st

_WS = r"[ \t\r\n]"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*"
_STATEMENT = re.compile(
    rf"""(?P<stmt>
        SHOW{_WS}+(?:(?P<ext>EXTENDED){_WS}+)?(?P<kind>PROVIDERS|SERVICES|RESOURCES|METHODS)
            (?:{_WS}+IN{_WS}+(?P<target>{_DOTTED}))?
            (?:{_WS}+LIKE{_WS}+'(?P<like>(?:[^'\\]|'')*)')?
      | (?:DESCRIBE|DESC){_WS}+(?:(?P<dext>EXTENDED){_WS}+)?(?P<dtarget>{_DOTTED})
    ){_WS}*(?:;|\Z)""", re.I | re.X)
_GAP = re.compile(rf"(?:{_WS}|;)*")

# Words the full grammar reads as keywords where a name would go; a name made of one of them is
# left to the full parser. tests/test_quick.py tries every keyword of the dialect in every name
# position and fails if a word missing here makes the two parsers disagree.
RESERVED = frozenset("""
    alter analyze and as begin between cache column comment commit constraint copy create cross
    database delete desc describe distinct drop else except exec execute extended fetch for
    format formatted from function glob grant having history ilike index inner insert intersect
    into join kill lateral like load merge namespace not notnull on or outer partitioned_by
    pivot pragma procedure qualify regexp replace returning revoke rlike rollback schema select sequence
    set show table tablesample then trigger truncate uncache union unpivot update use using
    values view when where with xor
""".split())

MAX_CHARS = 10_000


def quick_parse(sql: str) -> list[st.Statement] | None:
    """The statements of ``sql`` if it is plainly SHOW/DESCRIBE only, else None."""
    if len(sql) > MAX_CHARS:
        return None
    out: list[st.Statement] = []
    pos = _GAP.match(sql).end()
    while pos < len(sql):
        m = _STATEMENT.match(sql, pos)
        if m is None:
            return None
        stmt = _statement(m, sql)
        if stmt is None:
            return None
        out.append(stmt)
        pos = _GAP.match(sql, m.end()).end()
    return out or None


def _statement(m: re.Match, sql: str) -> st.Statement | None:
    kw = {"text": m.group("stmt"), "line": sql.count("\n", 0, m.start("stmt")) + 1}
    if m.group("kind"):
        kind = m.group("kind").upper()
        target = _parts(m.group("target"))
        if target is None or (kind == "PROVIDERS") != (target == ()):
            return None  # SHOW PROVIDERS IN x or SHOW METHODS without IN: the full parser explains
        like = m.group("like")
        return st.Show(kind=kind, target=target, extended=bool(m.group("ext")),
                       like=like.replace("''", "'") if like is not None else None, **kw)
    target = _parts(m.group("dtarget"))
    if not target or len(target) > 3:
        return None
    return st.Describe(target=target, extended=bool(m.group("dext")), **kw)


def _parts(dotted: str | None) -> tuple[str, ...] | None:
    if dotted is None:
        return ()
    parts = tuple(dotted.split("."))
    if any(p.lower() in RESERVED for p in parts):
        return None
    return parts
