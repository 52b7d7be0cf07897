"""The one place the stages meet: parse -> plan -> send -> project.

The CLI, the shell and the DB-API cursor all run statements through a Connection, and only render
what it yields. httpx is imported on the first request, so SHOW and DESCRIBE never load it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from . import meta
from .errors import (
    Error,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    OutcomeUnknownError,
    ProgrammingError,
)
from .http.secret import Secret, token_from
from .manifest import load_registry
from .options import NAMES, OFF, Options
from .plan import Plan, Planner, Request
from .sql import statements as st
from .sql.params import fill_statements
from .sql.parse import parse_script


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
    warnings: list[str] = field(default_factory=list)  # e.g. a hint that cannot apply
    types: dict[str, str] = field(default_factory=dict)  # column -> declared JSON type


class Connection:
    def __init__(self, *, token: str | Secret | None = None, base_url: str | None = None,
                 provider_paths: list | None = None, dry_run: bool = False,
                 transport=None, emulator: bool = False, http_log=None, **options) -> None:
        """``options``: the tunables of :class:`httpql.options.Options` (timeout, retries,
        concurrency, rate_limit, on_error, ...); None means the default."""
        # first, and the plain string dropped: a traceback of any error below would show this
        # frame's locals (pytest -l, error trackers)
        self.closed = True
        self._http = self._emulator = None
        if token is not None and not isinstance(token, (str, Secret)):
            raise InterfaceError(f"token must be a string (the API token), got "
                                 f"{type(token).__name__}")
        self._token = token_from(token, "token=") if token is not None else None
        del token
        for name, value in (("dry_run", dry_run), ("emulator", emulator)):
            if not isinstance(value, bool):
                raise InterfaceError(f"{name} must be True or False, got {value!r}")
        if http_log is not None and not callable(http_log):
            raise InterfaceError("http_log must be a function taking one line of text, got "
                                 f"{type(http_log).__name__}")
        if provider_paths is not None and (isinstance(provider_paths, (str, bytes, os.PathLike))
                                           or not hasattr(provider_paths, "__iter__")):
            raise InterfaceError("provider_paths must be a list of folders, e.g. "
                                 f"provider_paths=[{provider_paths!r}]")
        unknown_names = [name for name in options if name not in OPTION_NAMES]
        if unknown_names:
            raise InterfaceError(f"no option {unknown_names[0]!r} (options: "
                                 f"{', '.join(ALL_OPTIONS)})")
        if emulator and options.get("rate_limit") is None:
            options["rate_limit"] = OFF  # a local emulator has no budget to keep
        self.options = Options.from_kwargs(options)
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
            # an override or an environment variable is the user's input: refuse a bad one
            # now (a usage error in the CLI), not at the first statement
            for provider in self.registry.providers.values():
                if base_url or (provider.base_url_env and os.environ.get(provider.base_url_env)):
                    self.planner.base_url(provider)
        except BaseException:
            self.close()  # stops an emulator started above
            raise
        self.dry_run = dry_run
        self._transport, self._http_log = transport, http_log
        self._limiters: dict = {}
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
        results = self.run(sql, params, variables=variables)
        return results[-1].rows if results else []

    def run(self, sql: str, params=None, *, variables=None, continue_on_error: bool = False,
            on_error=None) -> list[Result]:
        """Run every statement of ``sql`` now; one Result per statement, in order. An error
        carries the Results of the statements that completed before it as ``e.results``."""
        results: list[Result] = []
        try:
            for result in self.stream(sql, params, variables=variables,
                                      continue_on_error=continue_on_error, on_error=on_error):
                results.append(result)
        except Error as e:
            e.results = results
            raise
        return results

    def stream(self, sql: str, params=None, *, variables=None, continue_on_error: bool = False,
               on_error=None) -> Iterator[Result]:
        """Like run(), but yields each Result as its statement completes (the CLI prints them as
        they come). Every statement is parsed, bound and planned (names, parameters and values
        checked) when this is called, before any request; each statement is sent only when the
        iterator reaches it, so an iterator never consumed sends nothing."""
        self._check_open()
        if not isinstance(sql, str):
            raise ProgrammingError(f"SQL must be a str, got {type(sql).__name__}")
        if params is not None and (isinstance(params, (str, bytes))
                                   or not isinstance(params, (Sequence, Mapping))):
            raise ProgrammingError(f"params must be a sequence of values for ? placeholders or a "
                                   f"mapping for :name ones, got {type(params).__name__} "
                                   f"{params!r:.40}")
        if variables is not None and not isinstance(variables, Mapping):
            raise ProgrammingError("variables must be a mapping of template names to values, got "
                                   f"{type(variables).__name__}")
        statements = parse_script(sql)
        if params is not None or variables is not None:
            statements = fill_statements(statements, params, variables)
        plans: list[Plan | Error | None] = []
        for index, stmt in enumerate(statements, 1):
            try:
                plans.append(_internal(self._plan, stmt))
            except Error as e:
                if not continue_on_error:
                    _where(e, stmt, len(statements), index)  # names the statement, in place
                    raise
                plans.append(e)  # reported in its turn; the others still run
        return self._results(statements, plans, continue_on_error, on_error)

    def _results(self, statements, plans, continue_on_error: bool, on_error) -> Iterator[Result]:
        for index, (stmt, plan) in enumerate(zip(statements, plans), 1):
            try:
                self._check_open()  # closed while a script was running: send no more
                if isinstance(plan, Error):
                    raise plan
                yield _internal(self._run, stmt, plan)
            except Error as e:
                e = _where(e, stmt, len(statements), index)
                if not continue_on_error or isinstance(e, InterfaceError):
                    raise e
                if on_error is not None:
                    on_error(e)

    def read_pandas(self, sql: str, params=None, *, variables=None):
        """The rows of the last statement of ``sql`` as a pandas DataFrame (httpql[pandas])."""
        from .dbapi import _pandas

        pd = _pandas()
        results = self.run(sql, params, variables=variables)
        last = results[-1] if results else None
        columns = list(last.columns) if last is not None else []
        rows = [[r.get(c) for c in columns] for r in (last.rows if last is not None else [])]
        return pd.DataFrame(rows, columns=columns).convert_dtypes()

    def batch(self, sql: str, records, *, variables=None, on_error: str | None = None,
              concurrency: int | None = None):
        """Run ``sql`` once per record; iterate the result for one :class:`httpql.Outcome` per
        record, in input order, as records complete. A record that is a mapping fills ``:name``
        placeholders and ``{{ name }}`` templates; a sequence fills ``?``. Records are read
        lazily and each is checked just before its own request (a bad one is ``invalid``, the
        others still run), so an input of any length runs in bounded memory."""
        from .batch import BatchRun

        self._check_open()
        statements = self._batch_statements(sql, variables)
        o = self._call_options(on_error, concurrency)
        if isinstance(records, (str, bytes, Mapping)) or not hasattr(records, "__iter__"):
            raise ProgrammingError("records must be an iterable of records (mappings or "
                                   f"sequences), got {type(records).__name__}")
        return BatchRun(self, statements, records, variables=variables, on_error=o.on_error,
                        concurrency=o.concurrency)

    def _batch_statements(self, sql: str, variables) -> list[st.Statement]:
        if not isinstance(sql, str):
            raise ProgrammingError(f"SQL must be a str, got {type(sql).__name__}")
        if variables is not None and not isinstance(variables, Mapping):
            raise ProgrammingError("variables must be a mapping of template names to values, got "
                                   f"{type(variables).__name__}")
        statements = parse_script(sql)
        local = [s for s in statements if isinstance(s, (st.Show, st.Describe))]
        if local:
            raise ProgrammingError(f"a batch sends requests per record; {local[0].text!r} is "
                                   "answered from the manifests: run it on its own")
        return statements

    def _call_options(self, on_error, concurrency) -> Options:
        """The connection's options with a call's own on_error/concurrency, checked."""
        from dataclasses import replace

        changes = {k: v for k, v in (("on_error", on_error), ("concurrency", concurrency))
                   if v is not None}
        return replace(self.options, **changes) if changes else self.options

    def _plan_checked(self, stmt: st.Statement) -> Plan:
        return _internal(self._plan, stmt)

    def _rows_of(self, plan: Plan, req: Request, response) -> list[dict]:
        from .project import extract, project, project_returning

        if plan.read:
            return [project(item, plan.columns) for item in extract(response.body,
                                                                    plan.rows_at)]
        if plan.returning is not None:
            return [project_returning(response.body, plan.returning, req.values)]
        return []

    def _plan(self, stmt: st.Statement) -> Plan | None:
        if isinstance(stmt, st.Explain):
            return self._plan(stmt.statement)
        if isinstance(stmt, (st.Show, st.Describe)):
            return None  # answered from the manifests
        return self.planner.plan(stmt)

    def _run(self, stmt: st.Statement, plan: Plan | None) -> Result:
        result = self._answer(stmt, plan)
        result.warnings += hint_warnings(stmt)
        return result

    def _answer(self, stmt: st.Statement, plan: Plan | None) -> Result:
        if isinstance(stmt, st.Explain):
            from .output import request_row

            rows = [request_row(r) for r in (plan.requests if plan is not None else ())]
            return Result(stmt, ["method", "url", "headers", "body"], rows)
        if isinstance(stmt, st.Show):
            cols, rows = meta.show(self.registry, stmt)
            return Result(stmt, cols, rows)
        if isinstance(stmt, st.Describe):
            cols, rows = meta.describe(self.registry, stmt)
            return Result(stmt, cols, rows)
        if self.dry_run:
            from .output import request_text

            return Result(stmt, message="\n\n".join(request_text(r) for r in plan.requests),
                          requests=list(plan.requests), dry_run=True)
        if plan.select is not None:
            return self._select(plan)
        return self._send(plan)

    def _select(self, plan: Plan) -> Result:
        """Fetch every page of every request, then run the statement locally over the rows."""
        from . import localsql
        from .paging import fetch

        result = Result(plan.statement)
        rows: list[dict] = []
        for req in plan.requests:
            rows += fetch(plan, req, lambda r: self._client().send(r, self._token_for(r)),
                          self.options.page_limit, result, rows)
        sel = plan.select
        result.columns, result.rows = localsql.run(sel.query, rows, sel.slots, sel.sent,
                                                   tuple(sel.types))
        result.types = {c: sel.types[c] for c in result.columns if c in sel.types}
        return result

    def _check_open(self) -> None:
        if self.closed:
            raise InterfaceError("the connection is closed")

    def _client(self):
        if self._http is None:
            from .http.client import HttpClient

            self._http = HttpClient(self.options, transport=self._transport,
                                    http_log=self._http_log, limiter_for=self.limiter)
        return self._http

    def limiter(self, req: Request):
        """The RateLimiter every request to ``req``'s provider shares on this connection: the
        rate_limit option, else the provider's declared limit; it also carries 429 pauses."""
        pid = req.resource.partition(".")[0]
        limiter = self._limiters.get(pid)
        if limiter is None:
            from .http.ratelimit import RateLimiter

            limit = self.options.rate_limit
            if limit is None:
                provider = self.registry.providers.get(pid)
                declared = provider.rate_limit if provider is not None else None
                if declared and _loopback_url(req.url):
                    declared = None  # a local emulator or proxy, not the provider's budget
                limiter = RateLimiter(*declared) if declared else RateLimiter()
            elif limit == OFF:
                limiter = RateLimiter()
            else:
                limiter = RateLimiter(limit.requests, limit.seconds)
            limiter = self._limiters.setdefault(pid, limiter)
        return limiter

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
            needs = f" with {req.permission_hint}" if req.permission_hint else ""
            raise OperationalError(
                f"no API token: set {req.credentials_env} to an API token{needs} for "
                f"{req.resource}, or run against the local emulator with --emulator / "
                "connect(emulator=True)")
        return token

    def _send(self, plan: Plan) -> Result:
        client = self._client()
        result = Result(plan.statement)
        total = len(plan.requests)
        for i, req in enumerate(plan.requests, 1):
            interrupt = None
            try:
                response = client.send(req, self._token_for(req))
            except KeyboardInterrupt as k:  # Ctrl-C or SIGTERM while the request was in flight
                interrupt = _interrupted(k, req, i, total)
            except Error as e:
                request_failed(e, plan, result, i)
                raise
            if interrupt is not None:
                # raised outside the handler: the interrupted frames (httpx's, holding the
                # Authorization header) must not travel along as its __context__
                raise interrupt
            result.statuses.append(response.status)
            result.rows.extend(self._rows_of(plan, req, response))
        return finish(plan, result)


def request_failed(e: Error, plan: Plan, result: Result, i: int) -> None:
    """Row ``i`` of a statement's requests failed: say which row and what became of the
    others, and keep the rows of those that succeeded as ``e.partial`` (sync and async)."""
    total = len(plan.requests)
    e.statement = plan.statement.text
    if total > 1:
        e.prefix(f"row {i} of {total}: ")
        e.note(_batch_state(i, total, isinstance(e, OutcomeUnknownError)))
    if i > 1 and (plan.read or plan.returning is not None):
        result.columns = _columns(plan.returning or plan.columns, result.rows)
    e.partial = result if i > 1 else None


def finish(plan: Plan, result: Result) -> Result:
    """The Result once every request answered: its columns, or the status message."""
    if plan.read or plan.returning is not None:
        result.columns = _columns(plan.returning or plan.columns, result.rows)
    else:
        total = len(plan.requests)
        codes = ", ".join(str(s) for s in sorted(set(result.statuses)))
        what = ("The operation was" if total == 1 else f"{total} operations were")
        result.message = f"{what} despatched successfully (HTTP {codes})"
    return result


def _loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    from .urls import is_loopback

    return is_loopback(urlsplit(url).hostname or "")


def _span(first: int, last: int, noun: str) -> str:
    """'row 1', 'rows 1-3'."""
    return f"{noun} {first}" if first == last else f"{noun}s {first}-{last}"


def _batch_state(i: int, total: int, maybe_acted: bool) -> str:
    """What became of the other rows when row ``i`` of ``total`` failed."""
    parts = [f"{_span(1, i - 1, 'row')} {'was' if i == 2 else 'were'} sent and succeeded"] \
        if i > 1 else []
    parts += [f"row {i} may have been acted on"] if maybe_acted else []
    parts += [f"{_span(i + 1, total, 'row')} {'was' if i + 1 == total else 'were'} not sent"] \
        if i < total else []
    return "; ".join(parts)


def _interrupted(k: KeyboardInterrupt, req: Request, i: int, total: int):
    """The interrupt, saying what may have happened: a request that changes state was in flight."""
    from .errors import Interrupted

    signal = getattr(k, "signal", 2)
    row = f"row {i} of {total}, " if total > 1 else ""
    done = f"; {_span(1, i - 1, 'row')} {'was' if i == 2 else 'were'} sent and succeeded" \
        if i > 1 else ""
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return Interrupted(f"interrupted during {row}{req.operation} ({req.method}, which changes "
                           f"nothing){done}", signal)
    hint = req.hint() or "check the resource's state before sending it again"
    return Interrupted(f"interrupted while {row}{req.operation} ({req.method} "
                       f"{_path_of(req.url)}) was in flight: it may have been acted on, the "
                       f"outcome is unknown{done}; to check: {hint}", signal)


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


HINTS = {"AWAIT": (st.Insert, st.Update, st.Delete, st.Exec), "SHOWRESULTS": (st.Exec,),
         "REQUIRED": (st.Show,)}


def hint_warnings(stmt: st.Statement) -> list[str]:
    """What to say about a statement's /*+ hints */. AWAIT waits for a long-running operation,
    and no method httpql knows is one: say so and run the statement, as it would run anyway."""
    out = []
    for hint in stmt.hints:
        if hint not in HINTS:
            out.append(f"hint /*+ {hint} */ is unknown and was ignored (known: "
                       f"{', '.join(HINTS)})")
        elif not isinstance(stmt, HINTS[hint]) or (hint == "REQUIRED" and stmt.kind != "INSERT"):
            out.append(f"hint /*+ {hint} */ does not apply to this statement and was ignored")
        elif hint == "AWAIT":
            out.append("hint /*+ AWAIT */ ignored: the method is not awaitable (it completes "
                       "within its own request; there is no long-running operation to wait for)")
    return out


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


def _where(e: Error, stmt: st.Statement, count: int, index: int) -> Error:
    """In a script of several statements, say which one failed (once): its ordinal, line and
    first words, since several statements may share a line."""
    if count > 1 and not e.located:
        words = " ".join(stmt.text.split())
        words = words if len(words) <= 60 else words[:57] + "..."
        e.prefix(f"statement {index} of {count} (line {stmt.line}: {words}): ")
        e.located = True
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


OPTION_NAMES = NAMES  # the tunables, defined in options.py
ALL_OPTIONS = ("token", "base_url", *NAMES, "provider_paths", "dry_run", "transport", "emulator",
               "http_log")


def connect(*args, **options) -> Connection:
    """Open a connection. Options: token, base_url, provider_paths, dry_run, emulator, http_log
    (a callable that receives one trace line per HTTP attempt, token masked), transport, and the
    tunables of httpql.options.Options: timeout, connect_timeout, total_timeout, retries,
    retry_backoff, retry_max_wait, retry_budget, max_response_bytes, concurrency, rate_limit,
    on_error."""
    hide_token(options)
    if args:
        raise InterfaceError("connect() takes options by name only, e.g. connect(emulator=True)")
    unknown_names = [name for name in options if name not in ALL_OPTIONS]
    if unknown_names:
        import difflib

        close = difflib.get_close_matches(unknown_names[0], ALL_OPTIONS, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise InterfaceError(f"connect() has no option {unknown_names[0]!r}{hint} (options: "
                             f"{', '.join(ALL_OPTIONS)})")
    return Connection(**options)


def hide_token(options: dict) -> None:
    """Replace a plain-text token in ``options`` by a Secret, before it is passed on: the dict is
    a local of the calling frame, and tracebacks with locals would print it."""
    if isinstance(options.get("token"), str):
        options["token"] = Secret(options["token"])
