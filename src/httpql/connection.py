"""The one place the stages meet: parse -> plan -> send -> project.

The CLI, the shell and the DB-API cursor all run statements through a Connection, and only render
what it yields. httpx is imported on the first request, so SHOW and DESCRIBE never load it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import meta
from .errors import (
    Error,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from .http.secret import Secret, token_from
from .manifest import load_registry
from .plan import Plan, Planner, Request
from .sql import statements as st
from .sql.params import bind_statements
from .sql.parse import parse_script

DEFAULT_TIMEOUT = 45.0


@dataclass
class Result:
    """What one statement produced: rows, or a status message."""

    statement: st.Statement
    columns: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    message: str | None = None
    statuses: list[int] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    dry_run: bool = False


class Connection:
    def __init__(self, *, token: str | Secret | None = None, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, connect_timeout: float | None = None,
                 total_timeout: float | None = None,
                 retries: int | None = None, retry_backoff: float | None = None,
                 retry_max_wait: float | None = None,
                 retry_budget: float | None = None, max_response_bytes: int | None = None,
                 provider_paths: list | None = None, dry_run: bool = False,
                 transport=None, emulator: bool = False, http_log=None) -> None:
        # first, and the plain string dropped: a traceback of any error below would show this
        # frame's locals (pytest -l, error trackers)
        self.closed = True
        self._http = self._emulator = None
        self._token = token_from(token, "token=") if token is not None else None
        del token
        _check_numbers(timeout=(timeout, False), connect_timeout=(connect_timeout, False),
                       total_timeout=(total_timeout, False), retry_backoff=(retry_backoff, True),
                       retry_max_wait=(retry_max_wait, True), retry_budget=(retry_budget, True))
        for name, value, low in (("retries", retries, 0), ("max_response_bytes",
                                                            max_response_bytes, 1)):
            if value is not None and (type(value) is not int or value < low):
                raise InterfaceError(f"{name} must be a whole number >= {low}, got {value!r}")
        if base_url is not None and not isinstance(base_url, str):
            raise InterfaceError(f"base_url must be a string, got {base_url!r}")
        if emulator:
            from .emulator import Emulator

            self._emulator = Emulator().start()
            base_url = self._emulator.base_url
            self._token = token_from(self._emulator.token, "the emulator")
        try:
            self.registry = load_registry(provider_paths)
            overrides = {pid: base_url for pid in self.registry.providers} if base_url else {}
            self.planner = Planner(self.registry, overrides)
            if base_url:  # the user's input: refuse a bad one now, not at the first statement
                for provider in self.registry.providers.values():
                    self.planner.base_url(provider)
        except BaseException:
            self.close()  # stops an emulator started above
            raise
        self.dry_run = dry_run
        self._http_options = dict(timeout=timeout, connect_timeout=connect_timeout,
                                  total_timeout=total_timeout, retries=retries,
                                  retry_backoff=retry_backoff,
                                  retry_max_wait=retry_max_wait, retry_budget=retry_budget,
                                  max_response_bytes=max_response_bytes, transport=transport,
                                  http_log=http_log)
        self._env_tokens: dict = {}
        self.closed = False

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        registry = getattr(self, "registry", None)  # also while __init__ is failing
        providers = list(registry.providers) if registry is not None else []
        return f"<httpql.Connection {state} providers={providers}>"

    # --- context manager / DB-API ---------------------------------------------------------------

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None
        self.closed = True

    def commit(self) -> None:
        """Every request takes effect when sent; there is nothing to commit."""

    def rollback(self) -> None:
        raise NotSupportedError("REST requests cannot be rolled back")

    def cursor(self):
        from .dbapi import Cursor

        return Cursor(self)

    @property
    def emulator(self):
        """The in-process emulator started by ``connect(emulator=True)``, if any."""
        return self._emulator

    # --- running --------------------------------------------------------------------------------

    def execute(self, sql: str, params=None, *, variables=None) -> list[dict]:
        """Run every statement of ``sql``; return the rows of the last one.

        ``params`` fills ``?`` (a sequence) or ``:name`` (a mapping) placeholders; ``variables``
        fills ``{{ name }}`` templates inside string literals. Both bind values, never SQL text.
        """
        result = None
        for result in self.run(sql, params, variables=variables):
            pass
        return result.rows if result is not None else []

    def run(self, sql: str, params=None, *, variables=None, continue_on_error: bool = False,
            on_error=None) -> Iterator[Result]:
        """One Result per statement, as each runs. Every statement is parsed, bound and planned
        (names, parameters and values checked) now, before the first request is sent; only
        sending waits for iteration."""
        self._check_open()
        if not isinstance(sql, str):
            raise ProgrammingError(f"SQL must be a str, got {type(sql).__name__}")
        statements = parse_script(sql)
        if params is not None or variables is not None:
            statements = bind_statements(statements, params, variables)
        plans: list[Plan | Error | None] = []
        for stmt in statements:
            try:
                plans.append(_internal(self._plan, stmt))
            except Error as e:
                if not continue_on_error:
                    _where(e, stmt, len(statements))  # names the statement, in place
                    raise
                plans.append(e)  # reported in its turn; the others still run
        return self._results(statements, plans, continue_on_error, on_error)

    def _results(self, statements, plans, continue_on_error: bool, on_error) -> Iterator[Result]:
        for stmt, plan in zip(statements, plans):
            try:
                self._check_open()  # closed while a script was running: send no more
                if isinstance(plan, Error):
                    raise plan
                yield _internal(self._run, stmt, plan)
            except Error as e:
                e = _where(e, stmt, len(statements))
                if not continue_on_error or isinstance(e, InterfaceError):
                    raise e
                if on_error is not None:
                    on_error(e)

    def run_statement(self, stmt: st.Statement) -> Result:
        self._check_open()
        return self._run(stmt, self._plan(stmt))

    def _plan(self, stmt: st.Statement) -> Plan | None:
        if isinstance(stmt, (st.Show, st.Describe)):
            return None  # answered from the manifests
        return self.planner.plan(stmt)

    def _run(self, stmt: st.Statement, plan: Plan | None) -> Result:
        if isinstance(stmt, st.Show):
            cols, rows = meta.show(self.registry, stmt)
            return Result(stmt, cols, rows)
        if isinstance(stmt, st.Describe):
            cols, rows = meta.describe(self.registry, stmt)
            return Result(stmt, cols, rows)
        if self.dry_run:
            return Result(stmt, message="\n\n".join(r.describe() for r in plan.requests),
                          requests=list(plan.requests), dry_run=True)
        return self._send(plan)

    def _check_open(self) -> None:
        if self.closed:
            raise InterfaceError("the connection is closed")

    def _client(self):
        if self._http is None:
            from .http.client import HttpClient
            from .http.retry import RetryPolicy

            o = self._http_options
            policy = RetryPolicy()
            changes = {k: v for k, v in (("max_attempts", o["retries"] + 1 if o["retries"] is not None
                                          else None),
                                         ("base_delay", o["retry_backoff"]),
                                         ("max_delay", o["retry_max_wait"]),
                                         ("max_total", o["retry_budget"])) if v is not None}
            if changes:
                from dataclasses import replace

                policy = replace(policy, **changes)
            kwargs = {}
            if o["max_response_bytes"] is not None:
                kwargs["max_response_bytes"] = o["max_response_bytes"]
            self._http = HttpClient(timeout=o["timeout"], connect_timeout=o["connect_timeout"],
                                    total_timeout=o["total_timeout"],
                                    retry=policy, transport=o["transport"],
                                    http_log=o["http_log"], **kwargs)
        return self._http

    def _token_for(self, req: Request):
        if req.auth != "bearer":
            return None
        if self._token is not None:
            return self._token
        token = self._env_tokens.get(req.credentials_env)  # read once per connection
        if token is None:
            token = token_from(os.environ.get(req.credentials_env or ""),
                               f"${req.credentials_env}")
            self._env_tokens[req.credentials_env] = token
        if token is None:
            raise OperationalError(
                f"no API token: set {req.credentials_env} to an API token for {req.resource} "
                "(for Cloudflare Realtime Kit, a token with the Realtime Admin permission), or "
                "run against the local emulator with --emulator / connect(emulator=True)")
        return token

    def _send(self, plan: Plan) -> Result:
        from .project import extract, project

        client = self._client()
        result = Result(plan.statement)
        total = len(plan.requests)
        for i, req in enumerate(plan.requests, 1):
            try:
                response = client.send(req, self._token_for(req))
            except Error as e:
                e.statement = plan.statement.text
                if total > 1:
                    sent = f"rows 1-{i - 1} were sent and succeeded" if i > 1 else "nothing was sent"
                    e.message = f"row {i} of {total}: {e.message} ({sent}; later rows were not sent)"
                    e.args = (e.message,)
                if i > 1 and (plan.read or plan.returning is not None):
                    result.columns = _columns(plan.returning or plan.columns, result.rows)
                e.partial = result if i > 1 else None
                raise
            result.statuses.append(response.status)
            if plan.read:
                for item in extract(response.body, plan.rows_at):
                    result.rows.append(project(item, plan.columns))
            elif plan.returning is not None:
                result.rows.append(project(response.body, plan.returning))
        if plan.read or plan.returning is not None:
            result.columns = _columns(plan.returning or plan.columns, result.rows)
        else:
            codes = ", ".join(str(s) for s in sorted(set(result.statuses)))
            what = ("The operation was" if total == 1 else f"{total} operations were")
            result.message = f"{what} despatched successfully (HTTP {codes})"
        return result


def _internal(f, *args):
    """Run ``f``; an exception that is not one of httpql's own is a bug, raised as
    InternalError (PEP 249) with the original as its cause."""
    try:
        return f(*args)
    except Error:
        raise
    except Exception as e:
        raise InternalError(f"internal error (a bug in httpql, please report it): "
                            f"{type(e).__name__}: {e}") from e


def _check_numbers(**values: tuple) -> None:
    """Each option a finite number, > 0 (or >= 0 where zero makes sense), or None."""
    for name, (value, zero_ok) in values.items():
        if value is None:
            continue
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
            limit = ">= 0" if zero_ok else "> 0"
            raise InterfaceError(f"{name} must be a finite number of seconds {limit}, "
                                 f"got {value!r}")


def _where(e: Error, stmt: st.Statement, count: int) -> Error:
    """In a script of several statements, say which one failed (once)."""
    if count > 1 and not getattr(e, "_located", False):
        e.message = f"statement at line {stmt.line}: {e.message}"
        e.args = (e.message,)
        e._located = True
    return e


def _columns(columns: tuple[st.Column, ...], rows: list[dict]) -> list[str]:
    out: list[str] = []
    for col in columns:
        if col.star:
            for row in rows:
                out += [k for k in row if k not in out]
        elif col.label not in out:
            out.append(col.label)
    if not columns:
        for row in rows:
            out += [k for k in row if k not in out]
    return out


def connect(**options) -> Connection:
    """Open a connection. Options: token, base_url, timeout, connect_timeout, total_timeout, retries,
    retry_backoff, retry_max_wait, retry_budget, max_response_bytes, provider_paths, dry_run, emulator,
    http_log (a callable that receives one trace line per HTTP attempt, token masked)."""
    hide_token(options)
    return Connection(**options)


def hide_token(options: dict) -> None:
    """Replace a plain-text token in ``options`` by a Secret, before it is passed on: the dict is
    a local of the calling frame, and tracebacks with locals would print it."""
    if isinstance(options.get("token"), str):
        options["token"] = Secret(options["token"])
