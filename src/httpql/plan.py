"""Statement -> HTTP request descriptions. Pure: no I/O, no secrets.

The planner resolves names, picks the method (the first of the verb, in manifest order, whose
required parameters are all supplied), binds and type-checks every value, and builds the requests.
Every check happens here, so nothing is sent for a statement with any bad row.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from .bind import bind, load_json
from .errors import DataError, NotSupportedError, ProgrammingError
from .manifest.model import ErrorShape, Method, Paging, Provider, Registry, Resource, unknown
from .sql import statements as st
from .urls import check_base_url


@dataclass(frozen=True)
class Request:
    """One HTTP request to send. The token is added by the HTTP layer, never stored here."""

    method: str
    url: str
    body: object = None  # JSON value, or None for no body
    has_body: bool = False
    auth: str = "none"  # the provider's auth type; "bearer" means add the token when sending
    credentials_env: str | None = None
    permission_hint: str | None = None  # the provider's words for what a token needs
    resource: str = ""
    operation: str = ""  # the manifest method name
    success_status: tuple[int, ...] = (200,)
    outcome_hint: str | None = None  # the manifest's text; {name} is filled from ``values``
    values: dict | None = field(default=None, compare=False, repr=False)
    extra_headers: tuple[tuple[str, str], ...] = ()  # the method's header parameters
    errors: ErrorShape = ErrorShape()  # how the provider's answers say a request failed

    def hint(self) -> str | None:
        """How to check whether the operation happened, with this request's values filled in
        (built only when an error needs it)."""
        return _fill(self.outcome_hint, self.values or {})

    @property
    def content(self) -> bytes | None:
        return json.dumps(self.body).encode() if self.has_body else None

    def headers(self) -> dict[str, str]:
        """The headers as --dry-run and --http-log show them, the token masked (the HTTP layer
        adds the real one through an httpx.Auth object)."""
        from . import __version__

        h = {"User-Agent": f"httpql/{__version__}", "Accept": "application/json"}  # as sent
        if self.auth == "bearer":
            h["Authorization"] = "Bearer ****"
        if self.has_body:
            h["Content-Type"] = "application/json"
        h.update(self.extra_headers)
        return h


@dataclass(frozen=True)
class Plan:
    statement: st.Statement
    requests: tuple[Request, ...] = ()
    returning: tuple[st.Column, ...] | None = None
    rows_at: str | None = None  # JSONPath to the rows of a read (stackql's objectKey)
    read: bool = False  # SELECT: rows come from each response via rows_at
    columns: tuple[st.Column, ...] = ()
    method: Method | None = None  # the manifest method chosen (EXEC: named)
    select: SelectPlan | None = None  # a SELECT: paging and the local query


@dataclass(frozen=True)
class SelectPlan:
    """What a SELECT needs beyond its first requests: the local query and its bound values,
    the conditions already sent, how to ask for the next page, the rows' declared types, and
    how many rows are enough to stop paging early (LIMIT with nothing that needs every row)."""

    query: object  # the statement's sqlglot tree
    slots: tuple = ()
    sent: frozenset[str] = frozenset()
    paging: Paging | None = None
    next_page: Callable[[Request, int], Request] | None = None
    types: dict[str, str] = field(default_factory=dict)
    early: int | None = None


def row_types(method: Method) -> dict[str, str]:
    """Each row field's declared JSON type: the properties of the items at ``rows_at`` (or of
    the whole answer when it is one row)."""
    node = method.response
    for part in (method.rows_at or "$").split(".")[1:]:
        node = node.properties.get(part) if node is not None and node.properties else None
    if node is not None and node.type == "array":
        node = node.items
    if node is None or not node.properties:
        return {}
    return {name: p.type for name, p in node.properties.items() if p.type}


def _early_stop(query, sent) -> int | None:
    """LIMIT n [OFFSET m]: after n + m rows no later page can change the answer, unless the
    query orders, groups, aggregates, joins, dedupes or filters them locally."""
    from sqlglot import exp

    limit = query.args.get("limit") if query is not None else None
    if limit is None or not isinstance(limit.expression, exp.Literal):
        return None
    if any(query.args.get(k) for k in ("order", "group", "distinct", "joins", "having")) or \
            any(isinstance(e, exp.AggFunc) for e in query.find_all(exp.AggFunc)):
        return None
    where = query.args.get("where")
    if where is not None:
        from .sql.translate import conjuncts

        local = [c for c in conjuncts(where.this)
                 if not (isinstance(c, (exp.EQ, exp.In)) and isinstance(c.this, exp.Column)
                         and c.this.name in sent)]
        if local:
            return None
    offset = query.args.get("offset")
    skip = int(offset.expression.name) if offset is not None and isinstance(
        offset.expression, exp.Literal) else 0
    return int(limit.expression.name) + skip


@dataclass
class Planner:
    registry: Registry
    base_urls: dict[str, str] = field(default_factory=dict)  # provider id -> override

    _checked: dict[str, str] = field(default_factory=dict, repr=False)

    def base_url(self, provider: Provider) -> str:
        """The provider's base URL: override, else its environment variable, else the manifest's;
        read and checked once per planner."""
        url = self._checked.get(provider.id)
        if url is not None:
            return url
        url = self.base_urls.get(provider.id)
        if url is None and provider.base_url_env:
            url = os.environ.get(provider.base_url_env) or None
        url = (url or provider.base_url).rstrip("/")
        check_base_url(url, provider)
        self._checked[provider.id] = url
        return url

    def plan(self, stmt: st.Statement) -> Plan:
        if isinstance(stmt, st.Insert):
            return self._insert(stmt)
        if isinstance(stmt, st.Exec):
            return self._exec(stmt)
        if isinstance(stmt, st.Select):
            return self._select(stmt)
        if isinstance(stmt, st.Delete):
            return self._simple(stmt, "delete", stmt.where, returning=stmt.returning)
        if isinstance(stmt, st.Replace):
            return self._simple(stmt, "replace", stmt.where + stmt.assignments,
                                returning=stmt.returning)
        if isinstance(stmt, st.Update):
            return self._simple(stmt, "update", stmt.where + stmt.assignments,
                                returning=stmt.returning)
        raise ProgrammingError(f"{type(stmt).__name__.upper()} is answered locally, not planned",
                               statement=stmt.text)

    # --- verbs ---------------------------------------------------------------------------------

    def _insert(self, stmt: st.Insert) -> Plan:
        res = self._resource(stmt)
        method = self._choose(res, "insert", stmt.columns, stmt)
        requests = []
        for i, row in enumerate(stmt.rows, 1):
            where = f" (row {i})" if len(stmt.rows) > 1 else ""
            values = dict(zip(stmt.columns, row))
            requests.append(self._request(res, method, values, stmt, where))
        self._check_fields(res, method, stmt.returning, stmt)
        return Plan(stmt, tuple(requests), returning=stmt.returning, method=method)

    def _exec(self, stmt: st.Exec) -> Plan:
        if len(stmt.target) != 4:
            raise ProgrammingError("EXEC takes a method name: provider.service.resource.method, got "
                                   f"'{'.'.join(stmt.target)}'", statement=stmt.text)
        res = self._resource(stmt, stmt.target[:3])
        try:
            method = res.method(stmt.target[3])
        except ProgrammingError as e:
            raise ProgrammingError(e.message, statement=stmt.text) from None
        values = dict(stmt.params)
        self._check_known(res, values, method.params, stmt, f"method {method.name}", prefix="@")
        if stmt.has_body_json:
            values = self._merge_json_body(method, values, stmt)
        missing = [p for p in method.required if p not in values]
        if missing:
            raise ProgrammingError(f"EXEC {res.id}.{method.name} is missing required parameter(s) "
                                   f"{', '.join('@' + m for m in missing)} (required: "
                                   f"{', '.join(method.required)})", statement=stmt.text)
        self._check_fields(res, method, stmt.returning, stmt)
        request = self._request(res, method, values, stmt, "")
        # stackql's EXEC /*+ SHOWRESULTS */: the answer's rows, as a SELECT's would be
        if "SHOWRESULTS" in stmt.hints and stmt.returning is None:
            return Plan(stmt, (request,), read=True, rows_at=method.rows_at, method=method)
        return Plan(stmt, (request,), returning=stmt.returning, method=method)

    def _select(self, stmt: st.Select) -> Plan:
        """The read method is chosen from the top-level ``name = value`` / ``name IN (...)``
        conditions that name its parameters; those are sent (IN fans out into one request per
        value), every other condition is left to the local SQL engine."""
        res = self._resource(stmt)
        candidates = res.methods_for("select")
        if not candidates:
            raise NotSupportedError(self._no_reads(res), statement=stmt.text)
        known = {p for m in candidates for p in m.params}
        given = [n for n, _ in (*stmt.where, *stmt.where_in) if n in known]
        method = self._choose(res, "select", tuple(given), stmt)
        sent = [n for n in given if n in method.params]
        equal = {n: v for n, v in stmt.where if n in sent}
        fan = [(n, values) for n, values in stmt.where_in if n in sent]
        requests = []
        for combo in itertools.product(*(values for _, values in fan)):
            values = {**equal, **{n: v for (n, _), v in zip(fan, combo)}}
            requests.append(self._request(res, method, values, stmt, ""))
        provider = self.registry.provider(res.provider)
        paging = provider.paging
        if paging is None or not {paging.page, paging.size} <= set(method.params) \
                or paging.page in sent:
            paging = None  # not a paged listing, or the user chose the page

        def next_page(req: Request, number: int) -> Request:
            return self._request(res, method, {**(req.values or {}), paging.page: number}, stmt,
                                 "")

        select = SelectPlan(query=stmt.query, slots=stmt.slots, sent=frozenset(sent),
                            paging=paging, next_page=next_page if paging else None,
                            types=row_types(method), early=_early_stop(stmt.query, sent))
        return Plan(stmt, tuple(requests), rows_at=method.rows_at, method=method,
                    select=select)

    def _no_reads(self, res: Resource) -> str:
        """SELECT on a resource without read methods: name the ones that answer instead."""
        svc = self.registry.service((res.provider, res.service))
        stem = res.name.rstrip("s")
        readers = [name for name in svc.resources if name != res.name and stem in name
                   and any(m["verb"] == "select"
                           for m in self.registry.summary((res.provider, res.service, name)))]
        also = (f". To read, SELECT from "
                f"{', '.join(f'{res.provider}.{res.service}.{r}' for r in readers)}"
                if readers else "")
        # stackql's own words first: users search for them
        return (f"SELECT not supported for this resource ({res.id}), use SHOW METHODS IN "
                f"{res.id} to view available operations for the resource and then invoke a "
                f"supported method using the EXEC command{also}")

    def _simple(self, stmt, verb: str, pairs, returning) -> Plan:
        res = self._resource(stmt)
        values = dict(pairs)
        method = self._choose(res, verb, tuple(values), stmt)
        req = self._request(res, method, values, stmt, "")
        if verb == "select":
            return Plan(stmt, (req,), read=True, rows_at=method.rows_at,
                        columns=stmt.columns, method=method)
        self._check_fields(res, method, returning, stmt)
        return Plan(stmt, (req,), returning=returning, method=method)

    # --- helpers -------------------------------------------------------------------------------

    def _resource(self, stmt: st.Statement, parts: tuple[str, ...] | None = None) -> Resource:
        try:
            return self.registry.resource(parts or stmt.target)
        except ProgrammingError as e:
            raise ProgrammingError(e.message, statement=stmt.text) from None

    def _choose(self, res: Resource, verb: str, given: tuple[str, ...],
                stmt: st.Statement) -> Method:
        """``given``: the names supplied, in the statement's order (errors name the first)."""
        supplied = set(given)
        candidates = res.methods_for(verb)
        if not candidates:
            raise NotSupportedError(
                f"{verb.upper()} not supported for this resource ({res.id}), use SHOW METHODS IN "
                f"{res.id} to view available operations for the resource and then invoke a "
                "supported method using the EXEC command", statement=stmt.text)
        known = {p: None for m in candidates for p in m.params}
        self._check_known(res, dict.fromkeys(given), known, stmt,
                          f"{verb.upper()} on {res.id}")
        for m in candidates:
            if all(p in supplied for p in m.required):
                return m
        lacks = "; ".join(f"{m.name} needs {', '.join(p for p in m.required if p not in supplied)}"
                          for m in candidates)
        raise ProgrammingError(f"no {verb.upper()} method of {res.id} has all its required "
                               f"parameters: {lacks}", statement=stmt.text)

    def _check_fields(self, res: Resource, method: Method, columns, stmt) -> None:
        """RETURNING names fields the chosen method's response describes, or the method's own
        parameters (the value sent): a typo is an error before the request, not a NULL column
        after a livestream was started. Paths below what the manifest describes are taken on
        trust; * takes everything."""
        if not columns or not method.fields:
            return
        for col in columns:
            if col.path and col.path[0] in method.params and col.path[0] not in method.fields:
                continue
            fields, prefix, parent = method.fields, "", None
            for part in col.path:
                if parent is not None and parent.type not in ("object", None):
                    # data.name.foo: a path through a string is as wrong as data.nosuch
                    raise ProgrammingError(
                        f"{prefix.rstrip('.')} is a {parent.type} in the response of {res.id}, so "
                        f"it has no field '{part}'; DESCRIBE {res.id} lists the fields",
                        statement=stmt.text)
                if not fields:
                    break
                if part not in fields:
                    err = unknown("field", prefix + part, [prefix + f for f in fields],
                                  f"the response of {res.id}")
                    raise ProgrammingError(f"{err.message}; DESCRIBE {res.id} lists the fields, "
                                           "and RETURNING * returns all", statement=stmt.text)
                parent = fields[part]
                fields, prefix = parent.properties, f"{prefix}{part}."

    def _check_known(self, res: Resource, values: dict, valid: dict, stmt, what: str,
                     prefix: str = "") -> None:
        for name in values:
            if name not in valid:
                err = unknown("parameter" if prefix else "column", prefix + name,
                              [prefix + v for v in valid], what)
                raise ProgrammingError(err.message, statement=stmt.text)

    def _merge_json_body(self, method: Method, values: dict, stmt: st.Exec) -> dict:
        body = stmt.body_json
        if not method.body_params:
            raise ProgrammingError(f"@@json gives a request body, but {method.name} takes none",
                                   statement=stmt.text)
        try:
            body = load_json(body, "@@json", "a JSON object of body fields "
                                             f"({', '.join(method.body_params)})")
        except DataError as e:
            raise DataError(e.message, statement=stmt.text) from None
        if not isinstance(body, dict):
            raise DataError("@@json must be a JSON object of body fields "
                            f"({', '.join(method.body_params)})", statement=stmt.text)
        merged = dict(values)
        for key, value in body.items():
            if key not in method.body_params:
                raise ProgrammingError(f"@@json has unknown field '{key}'; {method.name} takes "
                                       f"{', '.join(method.body_params)}", statement=stmt.text)
            if key in merged:
                raise ProgrammingError(f"'{key}' is given both as @{key} and inside @@json",
                                       statement=stmt.text)
            merged[key] = value
        return merged

    def _request(self, res: Resource, method: Method, values: dict, stmt, where: str) -> Request:
        for name in values:
            if name not in method.params:
                alts = [m.name for m in res.methods if m.verb == method.verb and name in m.params]
                hint = f"; it is taken by {', '.join(alts)}" if alts else ""
                raise ProgrammingError(f"{name} is not a parameter of {method.name}, the method "
                                       f"chosen for this statement (it takes "
                                       f"{', '.join(method.params)}){hint}", statement=stmt.text)
        path, query, body, headers = method.path, {}, {}, []
        for name, param in method.params.items():
            if name not in values:
                continue
            try:
                value = bind(param, values[name], f"{name}{where}")
            except (DataError, ProgrammingError) as e:
                raise type(e)(e.message, statement=stmt.text) from None
            if param.location == "path":
                path = path.replace("{" + name + "}", path_segment(value))
            elif param.location in ("query", "header"):
                text = json.dumps(value) if isinstance(value, (dict, list, bool)) else value
                if param.location == "query":
                    query[name] = text
                else:
                    headers.append((name, str(text)))
            else:
                body[name] = value
        provider = self.registry.provider(res.provider)
        url = self.base_url(provider) + path
        if query:
            url += "?" + urlencode(query)
        return Request(method=method.http_method, url=url, body=body,
                       has_body=bool(method.body_params), auth=provider.auth_type,
                       credentials_env=provider.credentials_env,
                       permission_hint=provider.permission_hint, resource=res.id,
                       operation=method.name, success_status=method.success_status,
                       outcome_hint=method.outcome_hint, values=values,
                       extra_headers=tuple(headers), errors=provider.errors)


def _fill(template: str | None, values: dict) -> str | None:
    """The hint with each {name} replaced by the value as it went into the request path
    (encoded: a value with a newline or a '/' cannot break or redirect the advice)."""
    if not template:
        return None

    def value(m: re.Match) -> str:
        return path_segment(values[m.group(1)]) if m.group(1) in values else m.group(0)

    return _PLACEHOLDER.sub(value, template)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def path_segment(value) -> str:
    """One path segment: '/', '?', '#', '%' and dot-segments can never change the route."""
    text = value if isinstance(value, str) else json.dumps(value)
    seg = quote(text, safe="")
    if seg in (".", ".."):
        seg = seg.replace(".", "%2E")
    return seg
