"""JSON Schema nodes in manifests: parameters, their properties and response schemas.

A node uses JSON Schema's own keywords (``type``, ``format``, ``enum``, ``pattern``,
``maxLength``, ``minimum``, ``maximum``, ``items``, ``properties``, ``required``) plus OpenAPI's
``nullable``; a top-level request parameter adds ``in``. Every problem is reported with its key.
"""

from __future__ import annotations

import re

from .checks import Checker, ecma_pattern, mapping, shown
from .model import LOCATIONS, TYPES, Param, Pattern

STRING_FORMATS = ("uuid", "date-time", "date", "time", "uri", "email", "hostname", "ipv4",
                  "ipv6", "byte", "binary", "password")  # only uuid is checked; the rest inform
NUMBER_FORMATS = ("int32", "int64", "float", "double")
KEYWORDS = ("type", "description", "nullable", "pattern", "format", "maxLength", "enum",
            "minimum", "maximum", "items", "properties", "required")
_STRING_ONLY = ("pattern", "maxLength", "enum")
_NUMBER_ONLY = ("minimum", "maximum")


def parse_schema(c: Checker, key: str, name: str, doc, *, location: str | None = None) -> Param:
    """A schema node from its mapping. ``location`` is given for a top-level request parameter
    (which must then say ``in``); nested nodes and responses have none."""
    if not isinstance(doc, dict):
        c.bad(key, "must be a mapping of JSON Schema keywords (type, description, ...)")
        return Param(name=name, type=None)
    allowed = set(KEYWORDS) | ({"in"} if location is not None else set())
    c.keys(key, doc, allowed, {"in"} if location is not None else set())
    ptype = doc.get("type")
    known = ptype in TYPES  # checks that depend on the type are made only for a known one
    if ptype is not None and not known:
        c.bad(f"{key}.type", f"unknown type {ptype!r} (use one of {', '.join(TYPES)})")
    where = "body"
    if location is not None:
        where = doc.get("in", "body")
        if where not in LOCATIONS:
            c.bad(f"{key}.in", f"unknown location {where!r} (use one of {', '.join(LOCATIONS)})")
            where = "body"
    nullable = c.bool(key, doc, "nullable")
    if where in ("path", "query", "header"):
        if where == "path" and nullable:
            c.bad(f"{key}.nullable", "a path parameter cannot be NULL")
        if known and ptype in ("object", "array") and where == "path":
            c.bad(f"{key}.type", f"a path parameter is one path segment, not an {ptype}")
    for k in _STRING_ONLY:
        if k in doc and known and ptype != "string":
            c.bad(f"{key}.{k}", f"is checked only for strings, but the type is {ptype}")
    for k in _NUMBER_ONLY:
        if k in doc and known and ptype not in ("integer", "number"):
            c.bad(f"{key}.{k}", f"applies only to numbers, but the type is {ptype}")
    pattern = _pattern(c, key, doc)
    fmt = _format(c, key, doc, ptype if known else None)
    max_length = doc.get("maxLength")
    if max_length is not None and (not isinstance(max_length, int) or isinstance(max_length, bool)
                                   or max_length < 1):
        c.bad(f"{key}.maxLength", f"must be a positive integer, got {shown(max_length)}")
        max_length = None
    minimum, maximum = (_number(c, f"{key}.{k}", doc.get(k)) for k in _NUMBER_ONLY)
    if minimum is not None and maximum is not None and minimum > maximum:
        c.bad(f"{key}.maximum", f"{maximum} is below minimum {minimum}, so no value fits")
    enum = doc.get("enum")
    if enum is not None:
        enum = _enum(c, f"{key}.enum", enum, pattern, max_length) if ptype == "string" else None
    props = None
    if "properties" in doc:
        if known and ptype != "object":
            c.bad(f"{key}.properties", f"only an object has properties, but the type is {ptype}")
        if doc["properties"] is None or doc["properties"] == {}:
            c.bad(f"{key}.properties", "is empty, which would refuse every key: list the keys, or "
                                       "leave properties out to allow any")
        props = {pn: parse_schema(c, f"{key}.properties.{pn}", pn, pd)
                 for pn, pd in mapping(c, f"{key}.properties", doc["properties"]).items()}
    required = _required(c, key, doc, props, ptype if known else None)
    items = None
    if "items" in doc:
        if known and ptype != "array":
            c.bad(f"{key}.items", f"only an array has items, but the type is {ptype}")
        items = parse_schema(c, f"{key}.items", f"{name}[]", doc["items"])
    return Param(name=name, type=ptype if known else None, location=where,
                 description=c.str(f"{key}.description", doc.get("description")).strip(),
                 nullable=nullable, pattern=pattern, format=fmt, max_length=max_length,
                 enum=tuple(enum) if enum else None, properties=props, required=required,
                 items=items, minimum=minimum, maximum=maximum)


def _pattern(c: Checker, key: str, doc: dict) -> Pattern | None:
    if "pattern" not in doc:
        return None
    text = doc["pattern"]
    if not isinstance(text, str) or not text:
        c.bad(f"{key}.pattern", f"must be a regular expression as a string, got {shown(text)}")
        return None
    try:
        return Pattern(text, re.compile(ecma_pattern(text)))
    except (re.error, OverflowError, RecursionError) as e:
        c.bad(f"{key}.pattern", f"not a valid regular expression: {e}")
        return None


def _format(c: Checker, key: str, doc: dict, ptype: str | None) -> str | None:
    fmt = doc.get("format")
    if fmt is None:
        return None
    if fmt in NUMBER_FORMATS:
        if ptype not in (None, "integer", "number"):
            c.bad(f"{key}.format", f"{fmt} is a number format, but the type is {ptype}")
        return fmt
    if fmt not in STRING_FORMATS:
        c.bad(f"{key}.format", f"unknown format {fmt!r} (known: "
                               f"{', '.join(STRING_FORMATS + NUMBER_FORMATS)})")
        return None
    if ptype not in (None, "string"):
        c.bad(f"{key}.format", f"is checked only for strings, but the type is {ptype}")
    return fmt


def _number(c: Checker, key: str, value) -> int | float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        c.bad(key, f"must be a number, got {shown(value)}")
        return None
    return value


def _required(c: Checker, key: str, doc: dict, props: dict | None,
              ptype: str | None) -> tuple[str, ...]:
    value = doc.get("required")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.bad(f"{key}.required", f"must be a list of property names, got {shown(value)}")
        return ()
    if ptype not in (None, "object"):
        c.bad(f"{key}.required", f"only an object has required properties, but the type is {ptype}")
    for v in value:
        if props is not None and v not in props:
            c.bad(f"{key}.required", f"'{v}' is not one of its properties "
                                     f"({', '.join(props) or 'none'})")
    return tuple(dict.fromkeys(value))


def _enum(c: Checker, key: str, enum, pattern: Pattern | None,
          max_length: int | None) -> list | None:
    if not isinstance(enum, list) or not enum or not all(isinstance(v, str) for v in enum):
        c.bad(key, f"must be a non-empty list of the allowed strings, got {shown(enum)}")
        return None
    for v in enum:
        if enum.count(v) > 1:
            c.bad(key, f"lists {v!r} more than once")
            break
    for v in enum:
        if pattern is not None and not pattern.search(v):
            c.bad(key, f"{v!r} does not match the parameter's pattern, so it could never be given")
        if max_length is not None and len(v) > max_length:
            c.bad(key, f"{v!r} is longer than maxLength {max_length}, so it could never be given")
    return enum

