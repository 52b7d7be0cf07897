"""Bind values into parsed statements: ``?`` / ``:name`` parameters and ``{{ name }}`` templates.

Binding happens after parsing, on values, never on SQL text: a value can hold quotes, semicolons
or comment markers and still only ever be a value.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence

from ..errors import ProgrammingError
from .statements import Placeholder, Statement

# The one definition of a template name (letters, digits and _), for --var, --vars-file and the
# templates themselves, so what the CLI accepts is exactly what a statement can use.
NAME = re.compile(r"[A-Za-z_]\w*")
# stackql's {{ name }} templates; ANY_TEMPLATE also finds the ones httpql cannot fill, so they
# are refused by name rather than sent as text
TEMPLATE = re.compile(r"\{\{\s*(" + NAME.pattern + r")\s*\}\}")
ANY_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def fill_statements(statements: list[Statement], params=None,
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


def _template(v: str, variables: Mapping[str, object], text: str) -> str:
    """The literal with its templates filled, always as text (a number from --vars-file becomes
    its digits; the parameter's type converts it back). Inside JSON text a value is a JSON
    string or value, never JSON syntax: it cannot add keys to a request body."""
    for m in ANY_TEMPLATE.finditer(v):
        known = TEMPLATE.fullmatch(m.group())
        if not known:
            raise unfillable(m.group(), text)
        if known.group(1) not in variables:
            raise _missing(known.group(1), variables, text)
    stripped = v.lstrip()
    if stripped.startswith(("[", "{")) and not stripped.startswith("{{"):
        return _fill_json(v, variables)
    return TEMPLATE.sub(lambda m: as_text(variables[m.group(1)]), v)


def as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _fill_json(v: str, variables: Mapping[str, object]) -> str:
    """Fill templates in JSON text: inside a JSON string, the value's text JSON-escaped; outside
    one (``{"height": {{ h }}}``), the value as a JSON value (a string gets its quotes)."""
    out, i, in_string = [], 0, False
    while i < len(v):
        m = TEMPLATE.match(v, i) if v.startswith("{{", i) else None
        if m:
            value = variables[m.group(1)]
            out.append(json.dumps(as_text(value), ensure_ascii=False)[1:-1] if in_string
                       else json.dumps(value, ensure_ascii=False, default=str))
            i = m.end()
            continue
        ch = v[i]
        if in_string and ch == "\\":
            out.append(v[i:i + 2])
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        out.append(ch)
        i += 1
    return "".join(out)


def unfillable(found: str, text: str | None) -> ProgrammingError:
    return ProgrammingError(f"template {found} cannot be filled: a template is {{{{ name }}}} with "
                            "a name of letters, digits and _ (no '-', no filters like | lower)",
                            statement=text)


def _missing(name: str, variables: Mapping, text: str) -> ProgrammingError:
    given = ", ".join(variables) or "none"
    return ProgrammingError(f"template variable {{{{ {name} }}}} has no value (given: {given}); "
                            f"pass --var {name}=VALUE", statement=text)
