"""Statement shapes: SQL with its string literals taken out, so statements that differ only in
their values share one parse.

A script of 500 EXECs, each with its own meeting id, is 500 different texts but one shape. Masking
is one regular-expression pass; sqlglot then parses each shape once. ``fill`` puts the values back
into the parsed statements.
"""

from __future__ import annotations

import dataclasses
import re

# comments and quoted names are kept whole (a quote inside them is not a literal)
LEXEME = re.compile(r"""--[^\n]*|/\*.*?\*/|"(?:[^"]|"")*"|`[^`]*`|'(?:[^']|'')*'|[^-/"`']+|.""",
                     re.DOTALL)
_MARK = "\x01httpql"
_SLOT = re.compile(r"\x01httpql(\d+)\x01")
_QUOTED_SLOT = re.compile(r"'\x01httpql(\d+)\x01'")


def mask(sql: str) -> tuple[str, tuple[str, ...]] | None:
    """(shape, raw literals) or None when the text cannot be masked safely."""
    if "\x01" in sql:
        return None
    parts, literals = [], []
    for m in LEXEME.finditer(sql):
        lexeme = m.group()
        if lexeme.startswith("'"):
            if len(lexeme) < 2 or not lexeme.endswith("'") or "\n" in lexeme:
                return None  # unterminated, or would shift line numbers: parse the real text
            parts.append(f"'{_MARK}{len(literals)}\x01'")
            literals.append(lexeme)
        else:
            parts.append(lexeme)
    return "".join(parts), tuple(literals)


def fill(statements: tuple, literals: tuple[str, ...]) -> tuple:
    """The parsed shape with each slot replaced by its literal's value (and source text)."""
    values = [lit[1:-1].replace("''", "'") for lit in literals]

    def text(s: str) -> str:
        return _QUOTED_SLOT.sub(lambda m: literals[int(m.group(1))], s)

    def value(v):
        if isinstance(v, str) and v.startswith(_MARK):
            m = _SLOT.fullmatch(v)
            return values[int(m.group(1))] if m else v
        if isinstance(v, tuple):
            return tuple(value(x) for x in v)
        return v

    out = []
    for stmt in statements:
        changes = {f.name: value(getattr(stmt, f.name)) for f in dataclasses.fields(stmt)
                   if f.name not in ("text", "line")}
        out.append(dataclasses.replace(stmt, text=text(stmt.text), **changes))
    return tuple(out)
