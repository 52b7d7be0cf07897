"""SQL text -> typed statements: the one entry point, ``parse_script``.

Every statement of a script is parsed before any is run, so a syntax error late in a script sends
nothing. Three routes, cheapest first: scripts of plain SHOW/DESCRIBE statements by regular
expression (``quick.py``, no sqlglot import); statements whose shape (the text with its string
literals masked) was parsed before, by filling the values in (``shapes.py``); everything else
through the sqlglot dialect (``grammar.py``).
"""

from __future__ import annotations

from ..errors import Error, ProgrammingError
from . import shapes
from . import statements as st
from .quick import quick_parse

MAX_STATEMENT_CHARS = 1_000_000
MAX_SHAPES = 512

_SHAPES: dict[str, tuple[st.Statement, ...]] = {}


def parse_script(sql: str) -> list[st.Statement]:
    """Every statement of a script, in order. Raises ParseError/ProgrammingError."""
    quick = quick_parse(sql)
    if quick is not None:
        return quick
    from .grammar import parse_text

    masked = shapes.mask(sql) if len(sql) <= MAX_STATEMENT_CHARS else None
    if masked is None:
        return list(parse_text(sql))
    shape, literals = masked
    template = _SHAPES.get(shape)
    if template is not None:
        return list(shapes.fill(template, literals))
    # First time this shape is seen: the real text's parse is what counts (its errors and
    # values); the shape is kept only if filling it gives exactly the same statements.
    statements = parse_text(sql)
    try:
        template = parse_text(shape)
    except Error:
        template = None
    filled = shapes.fill(template, literals) if template is not None else None
    if filled == statements and all(a.text == b.text and a.line == b.line
                                    for a, b in zip(filled, statements)):
        if len(_SHAPES) >= MAX_SHAPES:
            _SHAPES.pop(next(iter(_SHAPES)))
        _SHAPES[shape] = template
    return list(statements)


def parse_one(sql: str) -> st.Statement:
    stmts = parse_script(sql)
    if len(stmts) != 1:
        raise ProgrammingError(f"expected one statement, got {len(stmts)}", statement=sql)
    return stmts[0]
