"""Bind values into parsed statements: ``?`` / ``:name`` parameters and ``{{ name }}`` templates.

Binding happens after parsing, on values, never on SQL text: a value can hold quotes, semicolons
or comment markers and still only ever be a value.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from ..errors import ProgrammingError
from .statements import Placeholder, Statement

_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")


def bind_statements(statements: list[Statement], params=None,
                    variables: Mapping[str, object] | None = None) -> list[Statement]:
    """Statements with placeholders filled from ``params`` (a sequence for ``?``, a mapping for
    ``:name``) and ``{{ name }}`` templates inside string literals filled from ``variables``."""
    used_positions: set[int] = set()

    def value(v, text: str):
        if isinstance(v, Placeholder):
            return _param(v, params, text, used_positions)
        if isinstance(v, str) and variables is not None and "{{" in v:
            return _template(v, variables, text)
        if isinstance(v, tuple):
            return tuple(value(x, text) for x in v)
        return v

    out = []
    for stmt in statements:
        changes = {f.name: value(getattr(stmt, f.name), stmt.text)
                   for f in dataclasses.fields(stmt) if f.name not in ("text", "line")}
        out.append(dataclasses.replace(stmt, **changes))
    if isinstance(params, Sequence) and not isinstance(params, (str, bytes)):
        if len(used_positions) != len(params):
            raise ProgrammingError(f"{len(params)} parameter value(s) given but the statement has "
                                   f"{len(used_positions)} ? placeholder(s)")
    return out


def _param(ph: Placeholder, params, text: str, used: set[int]):
    key = ph.key
    if params is None:
        shown = "?" if isinstance(key, int) else f":{key}"
        raise ProgrammingError(f"the statement has a placeholder {shown} but no parameters were "
                               "given", statement=text)
    if isinstance(key, int):
        if isinstance(params, Mapping) or isinstance(params, (str, bytes)):
            raise ProgrammingError("? placeholders take a sequence of values (a list or tuple)",
                                   statement=text)
        if key >= len(params):
            raise ProgrammingError(f"placeholder number {key + 1} has no value: only {len(params)} "
                                   "parameter(s) given", statement=text)
        used.add(key)
        return params[key]
    if not isinstance(params, Mapping):
        raise ProgrammingError(f":{key} placeholders take a mapping of names to values",
                               statement=text)
    if key not in params:
        raise ProgrammingError(f"no value for :{key} (given: {', '.join(map(str, params)) or 'none'})",
                               statement=text)
    return params[key]


def _template(v: str, variables: Mapping[str, object], text: str):
    whole = _TEMPLATE.fullmatch(v.strip())
    if whole:  # the literal is only a template: the variable's value, with its own type
        name = whole.group(1)
        if name not in variables:
            raise _missing(name, variables, text)
        return variables[name]

    def repl(m: re.Match) -> str:
        name = m.group(1)
        if name not in variables:
            raise _missing(name, variables, text)
        return str(variables[name])

    return _TEMPLATE.sub(repl, v)


def _missing(name: str, variables: Mapping, text: str) -> ProgrammingError:
    given = ", ".join(variables) or "none"
    return ProgrammingError(f"template variable {{{{ {name} }}}} has no value (given: {given}); "
                            f"pass --var {name}=VALUE", statement=text)
