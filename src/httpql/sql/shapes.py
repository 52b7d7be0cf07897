"""Statement shapes: SQL with its string literals taken out, so statements that differ only in
their values share one parse.

A script of 500 EXECs, each with its own meeting id, is 500 different texts but one shape. Masking
is one regular-expression pass; sqlglot then parses each shape once. ``fill`` puts the values back
into the parsed statements.
"""

from __future__ import annotations

import dataclasses
import re

from .lexer import strings

_MARK = "\x01httpql"
_SLOT = re.compile(r"\x01httpql(\d+)\x01")
_SLOT_IN_TEXT = re.compile(r"'\x01httpql(\d+)\x01'")


def mask(sql: str) -> tuple[str, tuple[str, ...]] | None:
    """(shape, raw literals) or None when the text cannot be masked safely. Strings are found
    by the lexer, so a quote inside a comment or a quoted name is never taken for one."""
    if "\x01" in sql:
        return None
    parts, literals, pos = [], [], 0
    for start, end, text, closed in strings(sql):
        if not closed or "\n" in text:
            return None  # unterminated, or would shift line numbers: parse the real text
        parts += [sql[pos:start], f"'{_MARK}{len(literals)}\x01'"]
        literals.append(text)
        pos = end
    parts.append(sql[pos:])
    return "".join(parts), tuple(literals)


def fill(statements: tuple, literals: tuple[str, ...]) -> tuple:
    """The parsed shape with each slot replaced by its literal's value (and source text)."""
    values = [lit[1:-1].replace("''", "'") for lit in literals]
    return tuple(_recipe(stmt)(values, literals) for stmt in statements)


_RECIPES: dict[int, tuple] = {}  # id(template statement) -> (template, builder)


def _recipe(stmt):
    """A builder for one template statement, made once: it touches only the fields and text
    pieces that hold slots, and copies the rest as they are."""
    cached = _RECIPES.get(id(stmt))
    if cached is not None and cached[0] is stmt:
        return cached[1]
    pieces = _SLOT_IN_TEXT.split(stmt.text)  # text, slot index, text, slot index, ...
    text_slots = [(i, int(pieces[i])) for i in range(1, len(pieces), 2)]
    slotted = {f.name: _value_recipe(getattr(stmt, f.name)) for f in dataclasses.fields(stmt)
               if f.name not in ("text", "line")}
    slotted = {k: r for k, r in slotted.items() if r is not None}
    cls, base = type(stmt), dict(stmt.__dict__)

    def build(values, literals):
        parts = list(pieces)
        for i, n in text_slots:
            parts[i] = literals[n]
        new = object.__new__(cls)  # frozen dataclass: fill __dict__ directly, as replace() would
        d = new.__dict__
        d.update(base)
        d["text"] = "".join(parts)
        for name, r in slotted.items():
            d[name] = r(values)
        return new

    if len(_RECIPES) > 4096:
        _RECIPES.clear()
    _RECIPES[id(stmt)] = (stmt, build)
    return build


def _value_recipe(v):
    """None if ``v`` holds no slot, else a function from the literal values to the filled value."""
    if isinstance(v, str) and v.startswith(_MARK):
        m = _SLOT.fullmatch(v)
        if m:
            n = int(m.group(1))
            return lambda values: values[n]
        return None
    if isinstance(v, tuple):
        items = [_value_recipe(x) for x in v]
        if all(r is None for r in items):
            return None
        parts = [(x, r) for x, r in zip(v, items)]
        return lambda values: tuple(x if r is None else r(values) for x, r in parts)
    return None
