"""One resource file (``<provider>/<service>/<resource>.yaml``) checked and turned into a Resource.

Parameters may be declared once at the resource level (shared by every method that lists them)
or inside a method (its own, which wins): the same name can be a path parameter of one method and
a body field of another. Every problem is reported with its key; nothing stops at the first.
"""

from __future__ import annotations

import re

from .checks import Checker, mapping, names, shown
from .model import VERBS, Method, Param, Resource
from .schema import parse_schema

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RESOURCE_KEYS = {"name", "description", "parameters", "fields", "methods"}
METHOD_KEYS = {"name", "sql_verb", "http_method", "path", "operation_id", "required", "optional",
               "parameters", "response", "rows_at", "success_status", "description",
               "outcome_hint", "examples"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_HINT_PLACEHOLDER = re.compile(r"\{(\w+)\}")  # what plan._fill fills in an outcome_hint


def parse_resource(c: Checker, doc: dict, stem: str, provider: str,
                   service: str) -> Resource | None:
    c.keys("", doc, RESOURCE_KEYS, {"name", "methods"})
    name = c.str("name", doc.get("name"), required=True)
    c.name("name", name, "resource")
    if name and name != stem:
        c.bad("name", f"'{name}' does not match the file name '{stem}'")
    shared = {pname: parse_schema(c, f"parameters.{pname}", pname, pdoc, location="")
              for pname, pdoc in mapping(c, "parameters", doc.get("parameters")).items()}
    fields = None
    if doc.get("fields") is not None:
        fields = parse_schema(c, "fields", "", {"type": "object", "properties": doc["fields"]})
    raw_methods = doc.get("methods")
    if not isinstance(raw_methods, list) or not raw_methods:
        c.bad("methods", "must be a non-empty list of methods")
        raw_methods = []
    seen: set[str] = set()
    methods: list[tuple[str, Method]] = []  # with the key naming each
    for i, mdoc in enumerate(raw_methods):
        m = _method(c, f"methods[{i}]", mdoc, shared, fields)
        if m is None:
            continue
        if m.name in seen:
            c.bad(f"methods[{i}].name", f"method '{m.name}' is defined twice")
            continue
        seen.add(m.name)
        methods.append((f"methods[{i}]({m.name})", m))
    _check_reachable(c, methods)
    return Resource(provider=provider, service=service, name=name,
                    description=c.str("description", doc.get("description")).strip(),
                    methods=[m for _, m in methods])


def _check_reachable(c: Checker, methods: list[tuple[str, Method]]) -> None:
    """A verb picks the first of its methods whose required parameters are all given, so a later
    method that requires everything an earlier one does (and maybe more) is never picked."""
    for i, (key, m) in enumerate(methods):
        if m.verb not in VERBS or m.verb == "exec":
            continue  # EXEC names its method
        for _, first in methods[:i]:
            if first.verb == m.verb and set(first.required) <= set(m.required):
                c.bad(key, f"{m.verb.upper()} never chooses it: '{first.name}' comes first and "
                           f"requires only {', '.join(first.required) or 'nothing'}; put the "
                           "method with more required parameters first")
                break


def _method(c: Checker, key: str, doc, shared: dict[str, Param],
            fields: Param | None) -> Method | None:
    if not isinstance(doc, dict):
        c.bad(key, "must be a mapping")
        return None
    c.keys(key, doc, METHOD_KEYS, {"name", "sql_verb", "http_method", "path"})
    name = c.str(f"{key}.name", doc.get("name"), required=True)
    c.name(f"{key}.name", name, "method")
    key = f"{key}({name})" if name else key
    raw_verb = doc.get("sql_verb", "")
    verb = raw_verb.lower() if isinstance(raw_verb, str) else ""
    if verb not in VERBS:
        c.bad(f"{key}.sql_verb", f"unknown verb {raw_verb!r} (use one of {', '.join(VERBS)})")
    raw_http = doc.get("http_method", "")
    http_method = raw_http.upper() if isinstance(raw_http, str) else ""
    if http_method not in HTTP_METHODS:
        c.bad(f"{key}.http_method", f"unknown HTTP method {raw_http!r} "
                                    f"(use one of {', '.join(HTTP_METHODS)})")
    path = _path(c, key, doc)
    required = names(c, f"{key}.required", doc.get("required"))
    optional = names(c, f"{key}.optional", doc.get("optional"))
    for dup in sorted(set(required) & set(optional)):
        c.bad(f"{key}.optional", f"'{dup}' is listed as both required and optional")
    own = {pname: parse_schema(c, f"{key}.parameters.{pname}", pname, pdoc, location="")
           for pname, pdoc in mapping(c, f"{key}.parameters", doc.get("parameters")).items()}
    for pname in own:
        if pname not in required and pname not in optional:
            c.bad(f"{key}.parameters.{pname}", "is declared but listed in neither required nor "
                                               "optional")
    params: dict[str, Param] = {}
    for pname in required + optional:
        p = own.get(pname) or shared.get(pname)
        if p is None:
            c.bad(f"{key}", f"parameter '{pname}' is not declared under 'parameters'")
        else:
            params[pname] = p
    _check_params(c, key, path, http_method, required, params, own, shared)
    response = fields
    if doc.get("response") is not None:
        response = parse_schema(c, f"{key}.response", "", doc["response"])
    rows_at = _rows_at(c, key, doc.get("rows_at"), verb)
    hint = c.str(f"{key}.outcome_hint", doc.get("outcome_hint")).strip() or None
    for ph in _HINT_PLACEHOLDER.findall(hint or ""):
        if ph not in params:
            c.bad(f"{key}.outcome_hint", f"{{{ph}}} is not a parameter of this method, so it "
                                         "would be shown unfilled")
    examples = doc.get("examples") or []
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        c.bad(f"{key}.examples", f"must be a list of SQL statements, got {shown(examples)}")
        examples = []
    return Method(name=name, verb=verb, http_method=http_method, path=path,
                  required=tuple(required), optional=tuple(optional), params=params,
                  success_status=_statuses(c, key, doc.get("success_status", 200)),
                  description=c.str(f"{key}.description", doc.get("description")).strip(),
                  rows_at=rows_at, outcome_hint=hint, response=response,
                  operation_id=c.str(f"{key}.operation_id", doc.get("operation_id")),
                  examples=tuple(e.strip() for e in examples))


def _path(c: Checker, key: str, doc: dict) -> str:
    path = c.str(f"{key}.path", doc.get("path"), required=True)
    if path and not path.startswith("/"):
        c.bad(f"{key}.path", "must start with /")
    if "?" in path or "#" in path:
        c.bad(f"{key}.path", "must not hold a query (?) or fragment (#): declare query parameters "
                             "with 'in: query'")
    if "{" in _PLACEHOLDER.sub("", path) or "}" in _PLACEHOLDER.sub("", path):
        c.bad(f"{key}.path", "has an unbalanced { or }: write each placeholder as {name}")
    return path


def _check_params(c: Checker, key: str, path: str, http_method: str, required: list[str],
                  params: dict[str, Param], own: dict[str, Param],
                  shared: dict[str, Param]) -> None:
    declared = {**shared, **own}
    in_path = _PLACEHOLDER.findall(path)
    for ph in in_path:
        if ph not in declared:
            c.bad(f"{key}.path", f"path parameter {{{ph}}} is not declared under 'parameters'")
        elif declared[ph].location != "path":
            c.bad(f"{key}.path", f"{{{ph}}} is in the path but declared "
                                 f"'in: {declared[ph].location}'")
        elif ph not in required:
            c.bad(f"{key}.required", f"path parameter '{ph}' must be listed as required")
    for pname, p in params.items():
        if p.location == "path" and pname not in in_path:
            c.bad(f"{key}", f"path parameter '{pname}' does not appear in the path {path}")
    if http_method == "GET":
        for pname, p in params.items():
            if p.location == "body":
                c.bad(f"{key}", f"'{pname}' is a body parameter, but a GET request has no body "
                                "(declare it 'in: query')")


def _statuses(c: Checker, key: str, status) -> tuple[int, ...]:
    statuses = status if isinstance(status, list) else [status]
    if not statuses or not all(isinstance(s, int) and not isinstance(s, bool) and 200 <= s < 300
                               for s in statuses):
        c.bad(f"{key}.success_status", f"must be a 2xx status or a non-empty list of them, got "
                                       f"{shown(status)}")
        return (200,)
    return tuple(statuses)


def _rows_at(c: Checker, key: str, rows_at, verb: str) -> str | None:
    if rows_at is None:
        return None
    if not isinstance(rows_at, str) or not rows_at:
        c.bad(f"{key}.rows_at", f"must be a JSONPath as a string, got {shown(rows_at)}")
        return None
    try:
        from ..project import compile_path

        compile_path(rows_at)
    except Exception as e:  # jsonpath-ng raises several unrelated types
        c.bad(f"{key}.rows_at", f"not a valid JSONPath ({str(e).splitlines()[0]})")
    if verb and verb != "select":
        c.bad(f"{key}.rows_at", f"is used only by select methods, not {verb}")
    return rows_at
