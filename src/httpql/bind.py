"""Check and convert SQL values to the JSON types a manifest parameter declares.

stackql templates quote every value ('{{ per_page }}'), so at the top level a quoted integer,
number or boolean is accepted and converted; inside JSON objects types must be exact.
"""

from __future__ import annotations

import json
import math
import re

from .errors import DataError, ProgrammingError
from .manifest.model import Param
from .sql.params import ANY_TEMPLATE
from .sql.statements import Placeholder

MAX_VALUE_CHARS = 100_000
MAX_JSON_DEPTH = 32  # far deeper than any API body; stops recursion long before Python's limit
_VALUE_TYPES = (str, int, float, bool, dict, list, type(None))
_SCALARS = (str, int, float, bool, type(None))
_INT = re.compile(r"^[+-]?\d+$")
_JSON_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object",
              list: "array", type(None): "null"}


def shown(value) -> str:
    """A value as errors show it: 'null', 'integer 5', "string 'x'"."""
    if value is None:
        return "null"
    kind = _JSON_TYPE.get(type(value), type(value).__name__)
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}"


def bind(param: Param, value, where: str, top: bool = True):
    """The JSON value to send for ``param``; raises DataError naming ``where`` (e.g. a column)."""
    if isinstance(value, Placeholder):
        mark = f"?{value.key + 1}" if isinstance(value.key, int) else f":{value.key}"
        raise ProgrammingError(f"{where} is the placeholder {mark}, but no value was bound to it: "
                               "pass parameters (execute(sql, params)) or write a literal")
    if type(value) not in _SCALARS:  # containers, UUIDs, dates, Decimals, Enums
        value = python_value(value, where)
    if isinstance(value, float) and not math.isfinite(value):
        raise DataError(f"{where} is {value}; JSON has no NaN or infinity")
    if isinstance(value, str):
        if param.type == "string" and param.max_length is not None and len(value) > param.max_length:
            raise DataError(f"{where} is {len(value):,} characters long; at most "
                            f"{param.max_length:,} are allowed")
        if len(value) > MAX_VALUE_CHARS:
            raise DataError(f"{where} is {len(value):,} characters long; the limit is "
                            f"{MAX_VALUE_CHARS:,}")
        left = ANY_TEMPLATE.search(value)
        if left:
            raise DataError(f"{where} still holds the template {left.group()}: give its value "
                            "(--var NAME=VALUE, or variables= in Python) or write the value itself")
    if value is None:
        if (param.nullable or param.type is None) and param.location != "path":
            return None
        article = "an" if param.type[0] in "aeiou" else "a"
        raise DataError(f"{where} cannot be NULL: give {article} {param.type}")
    kind = param.type
    if kind == "string":
        return _string(param, value, where)
    if kind == "integer":
        if top and isinstance(value, str) and _INT.match(value.strip()):
            value = _int(value, where)
        if isinstance(value, float) and value.is_integer() and not top:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise DataError(f"{where} must be an integer, got {shown(value)}")
        return _in_range(param, value, where)
    if kind == "number":
        if top and isinstance(value, str):
            try:
                value = float(value) if not _INT.match(value.strip()) else _int(value, where)
            except ValueError:
                pass
        if not isinstance(value, (int, float)) or isinstance(value, bool) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise DataError(f"{where} must be a number, got {shown(value)}")
        return _in_range(param, value, where)
    if kind == "boolean":
        if top and isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            raise DataError(f"{where} must be TRUE or FALSE, got {shown(value)}")
        return value
    if kind in ("object", "array"):
        return _json(param, value, where)
    if kind is None:  # the manifest allows any JSON value; text is sent as text
        return value if isinstance(value, str) else load_json(value, where, "a JSON value")
    raise DataError(f"{where} has unsupported type {kind!r} in its manifest")


def python_value(value, where: str):
    """A Python value that has one obvious JSON meaning, as that JSON value: a UUID as its text,
    a date/datetime/time in ISO 8601, a Decimal as an integer or number, an Enum as its value;
    dicts and lists (and tuples) all through."""
    import datetime
    import decimal
    import enum
    import uuid

    if isinstance(value, enum.Enum):
        return python_value(value.value, where)
    if isinstance(value, _VALUE_TYPES) and not isinstance(value, (dict, list)):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise DataError(f"{where} is {value}; JSON has no NaN or infinity")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: python_value(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [python_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise DataError(f"{where} is a Python {type(value).__name__}; values must be str, int, "
                    "float, bool, None, dict, list, UUID, date/datetime, Decimal or Enum")


def _string(param: Param, value, where: str) -> str:
    if not isinstance(value, str):
        hint = f" (quote it: '{value}')" if isinstance(value, (int, float)) else ""
        raise DataError(f"{where} must be a string, got {shown(value)}{hint}")
    if param.location == "path" and value == "":
        raise DataError(f"{where} cannot be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise DataError(f"{where} holds {value[e.start]!r} at position {e.start + 1}, a lone "
                        "surrogate that is not valid Unicode text") from None
    if param.max_length is not None and len(value) > param.max_length:
        raise DataError(f"{where} is {len(value)} characters long; at most {param.max_length} "
                        "are allowed")
    if param.format in ("date-time", "date") and not _is_iso(value, param.format):
        example = "'2026-11-30T12:00:00Z'" if param.format == "date-time" else "'2026-11-30'"
        raise DataError(f"{where} must be an ISO 8601 {param.format} like {example}, got "
                        f"{value!r}")
    if param.format == "uuid" and not _is_uuid(value):
        raise DataError(f"{where} must be a UUID like '123e4567-e89b-12d3-a456-426614174000', "
                        f"got {value!r}")
    if param.pattern is not None and not param.pattern.search(value):
        raise DataError(f"{where} must match the pattern {param.pattern.pattern}, got {value!r}")
    if param.enum and value not in param.enum:
        raise DataError(f"{where} must be one of {', '.join(map(str, param.enum))}, got {value!r}")
    return value


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _is_iso(value: str, fmt: str) -> bool:
    import datetime

    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value  # 3.10 wants +00:00
    try:
        if fmt == "date":
            datetime.date.fromisoformat(value)
        else:
            datetime.datetime.fromisoformat(text)
    except ValueError:
        return False
    return fmt == "date" or "T" in text.upper() or " " in text


def _is_uuid(value: str) -> bool:
    # the canonical 8-4-4-4-12 form the API uses (uuid.UUID would also take braces and urn:)
    return _UUID.fullmatch(value) is not None


def _json(param: Param, value, where: str):
    want = dict if param.type == "object" else list
    value = load_json(value, where, f"a JSON {param.type} like {_example(param)}")
    if not isinstance(value, want):
        raise DataError(f"{where} must be a JSON {param.type} like {_example(param)}, got "
                        f"{shown(value)}")
    if want is dict:
        missing = [k for k in param.required if k not in value]
        if missing:
            raise DataError(f"{where} lacks required key(s) {', '.join(missing)}")
    if want is dict and param.properties is not None:
        out = {}
        for key, item in value.items():
            prop = param.properties.get(key)
            if prop is None:
                raise DataError(f"{where} has unknown key {key!r}; valid keys: "
                                f"{', '.join(param.properties)}")
            out[key] = bind(prop, item, f"{where}.{key}", top=False)
        return out
    if want is list and param.items is not None:
        return [bind(param.items, item, f"{where}[{i}]", top=False) for i, item in enumerate(value)]
    return value


def _in_range(param: Param, value, where: str):
    if param.minimum is not None and value < param.minimum:
        raise DataError(f"{where} must be at least {param.minimum}, got {value}")
    if param.maximum is not None and value > param.maximum:
        raise DataError(f"{where} must be at most {param.maximum}, got {value}")
    return value


def _int(text: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:  # over Python's 4,300-digit conversion limit
        raise DataError(f"{where} has {len(text.strip()):,} digits; no API takes such an "
                        "integer") from None


class _DuplicateKey(Exception):
    pass


def _no_duplicate_keys(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def load_json(value, where: str, expected: str):
    """``value`` parsed if it is JSON text, then checked all through: at most MAX_JSON_DEPTH
    deep, only JSON types (a Python set or date inside a dict would fail only when sent), string
    keys and finite numbers."""
    if isinstance(value, str):
        try:
            value = json.loads(value, parse_constant=_no_constant,
                               object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as e:
            raise DataError(f"{where} is not valid JSON: {e.msg} at line {e.lineno} column "
                            f"{e.colno}; expected {expected}") from None
        except _DuplicateKey as e:
            raise DataError(f"{where} gives the key {e.args[0]!r} twice; JSON readers disagree on "
                            "which one wins, so give it once") from None
        except (ValueError, RecursionError) as e:  # e.g. an integer of thousands of digits
            reason = "nests too deeply" if isinstance(e, RecursionError) else str(e).split(";")[0]
            raise DataError(f"{where} is not usable JSON: {reason}; expected {expected}") from None
    level, depth = [value], 0
    while level:  # breadth-first, so a deep value cannot exhaust the stack here either
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise DataError(f"{where} nests more than {MAX_JSON_DEPTH} levels deep; expected "
                            f"{expected}")
        for v in level:
            if not isinstance(v, _VALUE_TYPES) or (isinstance(v, float) and not math.isfinite(v)):
                raise DataError(f"{where} holds {v!r}, which JSON cannot carry; expected {expected}")
            if isinstance(v, dict) and not all(isinstance(k, str) for k in v):
                raise DataError(f"{where} has a key that is not a string; expected {expected}")
        level = [c for v in level if isinstance(v, (dict, list))
                 for c in (v.values() if isinstance(v, dict) else v)]
    return value


def _example(param: Param) -> str:
    """A value of the object's own shape for error messages, made from its schema alone."""
    if param.type == "object" and param.properties:
        sample = {k: _sample(p) for k, p in param.properties.items()}
        return "'" + json.dumps(sample) + "'"
    return "'{...}'" if param.type == "object" else "'[...]'"


def _sample(param: Param):
    if param.enum:
        return param.enum[0]
    if param.type in ("integer", "number"):
        return param.minimum if param.minimum is not None else 1
    return {"boolean": True, "object": {}, "array": []}.get(param.type, "...")
