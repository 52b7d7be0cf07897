"""``httpql.connect_async()``: the same statements, batches, outcomes and errors on asyncio.

Parsing, planning, the checks, the rate limiter, the retry decisions and the outcome of each
record are the sync connection's own; only the sending is awaited (httpx.AsyncClient).

    async with await httpql.connect_async(emulator=True) as conn:
        rows = await conn.execute("INSERT ... RETURNING data.stream_key")
        async for outcome in conn.batch(sql, records):
            ...
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable

from .batch import (
    GRACE_SECONDS,
    Outcome,
    _located,
    batch_error,
    prepare,
    run_record_async,
    summarize,
)
from .connection import Connection, Result, _where, finish, hide_token, request_failed
from .dbapi import Cursor
from .errors import Error, Interrupted, OutcomeUnknownError, ProgrammingError
from .sql.params import fill_statements
from .sql.parse import parse_script


async def connect_async(*args, **options) -> AsyncConnection:
    """Open an :class:`AsyncConnection`; the options are connect()'s."""
    from .connection import connect

    hide_token(options)
    return AsyncConnection(connect(*args, **options))


class AsyncConnection:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn  # planning, options, limiters, token: shared with the sync side
        self._http = None

    def __repr__(self) -> str:
        return repr(self._conn).replace("httpql.Connection", "httpql.AsyncConnection")

    @property
    def closed(self) -> bool:
        return self._conn.closed

    @property
    def emulator(self):
        return self._conn.emulator

    @property
    def options(self):
        return self._conn.options

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        self._conn.close()

    def cursor(self) -> AsyncCursor:
        return AsyncCursor(self)

    def _client(self):
        if self._http is None:
            from .http.client import AsyncHttpClient

            c = self._conn
            self._http = AsyncHttpClient(c.options, transport=c._transport, http_log=c._http_log,
                                         limiter_for=c.limiter)
        return self._http

    async def execute(self, sql: str, params=None, *, variables=None) -> list[dict]:
        results = await self.run(sql, params, variables=variables)
        return results[-1].rows if results else []

    async def run(self, sql: str, params=None, *, variables=None) -> list[Result]:
        """Every statement checked and planned first, then run in order; as Connection.run()."""
        conn = self._conn
        conn._check_open()
        if not isinstance(sql, str):
            raise ProgrammingError(f"SQL must be a str, got {type(sql).__name__}")
        statements = parse_script(sql)
        if params is not None or variables is not None:
            statements = fill_statements(statements, params, variables)
        plans = []
        for index, stmt in enumerate(statements, 1):
            try:
                plans.append(conn._plan_checked(stmt))
            except Error as e:
                raise _where(e, stmt, len(statements), index) from None
        results: list[Result] = []
        for index, (stmt, plan) in enumerate(zip(statements, plans), 1):
            try:
                conn._check_open()
                if plan is None or conn.dry_run:
                    results.append(conn._run(stmt, plan))
                else:
                    results.append(await self._send(plan))
            except Error as e:
                e.results = results
                raise _where(e, stmt, len(statements), index) from None
        return results

    async def _send(self, plan) -> Result:
        client, conn = self._client(), self._conn
        result = Result(plan.statement)
        for i, req in enumerate(plan.requests, 1):
            try:
                response = await client.send(req, conn._token_for(req))
            except Error as e:
                request_failed(e, plan, result, i)
                raise
            result.statuses.append(response.status)
            result.rows.extend(conn._rows_of(plan, req, response))
        return finish(plan, result)

    def batch(self, sql: str, records: Iterable, *, variables=None, on_error: str | None = None,
              concurrency: int | None = None) -> AsyncBatch:
        """As Connection.batch(); ``async for outcome in conn.batch(...)``."""
        conn = self._conn
        conn._check_open()
        statements = conn._batch_statements(sql, variables)
        o = conn._call_options(on_error, concurrency)
        return AsyncBatch(self, statements, records, variables, o.on_error, o.concurrency)


class AsyncBatch:
    """Outcomes in input order from at most ``2 * concurrency`` records at once."""

    def __init__(self, aconn: AsyncConnection, statements, records, variables, on_error: str,
                 concurrency: int, prepared: list | None = None, fills: bool = True) -> None:
        self.aconn, self.statements, self.records = aconn, statements, records
        self.variables, self.on_error, self.concurrency = variables, on_error, concurrency
        self.prepared, self.fills = prepared, fills
        self.counts = {s: 0 for s in ("ok", "invalid", "failed", "unknown", "not_sent")}
        self.not_ok: list[Outcome] = []
        self.stopped = False

    def summary(self) -> str:
        return summarize(self.counts, self.not_ok)

    def __aiter__(self) -> AsyncIterator[Outcome]:
        return self._outcomes()

    async def _outcomes(self) -> AsyncIterator[Outcome]:
        conn = self.aconn._conn
        sem = asyncio.Semaphore(self.concurrency)
        window: deque = deque()
        started: set[int] = set()

        async def one(index: int, plans: list) -> Outcome:
            async with sem:
                if self.stopped:
                    return Outcome(index, "not_sent")
                started.add(index)
                outcome = await run_record_async(conn, self.aconn._client(), index, plans)
                if outcome.status != "ok" and self.on_error == "stop":
                    self.stopped = True
                return outcome

        def admit(index: int, item):
            if self.prepared is not None or isinstance(item, Error):
                plans = item
            elif self.stopped:
                return _done(Outcome(index, "not_sent"))
            else:
                try:
                    plans = prepare(conn, self.statements, item, self.variables, self.fills)
                except Error as e:
                    plans = e
            if isinstance(plans, Error):
                if self.on_error == "stop":
                    self.stopped = True
                return _done(Outcome(index, "invalid", error=_located(plans, index)))
            if self.stopped:
                return _done(Outcome(index, "not_sent"))
            if conn.dry_run:
                return _done(Outcome(index, "ok", requests=[r for p in plans
                                                            for r in p.requests]))
            return (index, asyncio.ensure_future(one(index, plans)))

        def count(outcome: Outcome) -> Outcome:
            self.counts[outcome.status] += 1
            if outcome.status != "ok":
                self.not_ok.append(Outcome(outcome.index, outcome.status, [], outcome.error,
                                           outcome.http_status))
            return outcome

        limit = max(2 * self.concurrency, 2)
        source = self.prepared if self.prepared is not None else self.records
        try:
            for i, item in enumerate(source, 1):
                window.append(admit(i, item))
                while window and (len(window) >= limit or window[0][1].done()):
                    yield count(await window.popleft()[1])
            while window:
                yield count(await window.popleft()[1])
        except (asyncio.CancelledError, KeyboardInterrupt) as k:
            self.stopped = True
            pending = [t for _, t in window if not t.done()]
            if pending:
                await asyncio.wait(pending, timeout=GRACE_SECONDS)
            rest = []
            for index, task in window:
                if task.done() and not task.cancelled():
                    rest.append(count(task.result()))
                else:
                    task.cancel()
                    rest.append(count(Outcome(index, "unknown", error=OutcomeUnknownError(
                        f"record {index}: interrupted while its request was in flight: it may "
                        "have been acted on, the outcome is unknown")) if index in started
                        else Outcome(index, "not_sent")))
            raise Interrupted(f"interrupted: {self.summary()}; records not read were not sent",
                              getattr(k, "signal", 2), rest) from None


def _done(outcome: Outcome):
    future = asyncio.get_running_loop().create_future()
    future.set_result(outcome)
    return (outcome.index, future)


class AsyncCursor(Cursor):
    """The PEP 249 cursor with ``await cur.execute(...)`` / ``await cur.executemany(...)``;
    fetchone/fetchmany/fetchall read rows already held and stay plain calls."""

    async def execute(self, sql: str, parameters=None) -> AsyncCursor:
        self._check_open()
        self._rows, self._columns, self._pos, self.rowcount, self.result = None, [], 0, -1, None
        results = await self.connection.run(sql, parameters)
        self._take(results[-1] if results else None)
        return self

    async def executemany(self, sql: str, seq_of_parameters, *, on_error: str | None = None,
                          concurrency: int | None = None) -> None:
        statements, o, prepared = self._prepare_many(self.connection._conn, sql,
                                                     seq_of_parameters, on_error, concurrency)
        run = AsyncBatch(self.connection, statements, None, None, o.on_error, o.concurrency,
                         prepared=prepared, fills=False)
        run.stopped = o.on_error == "stop" and any(isinstance(p, Error) for p in prepared)
        try:
            async for outcome in run:
                self.outcomes.append(outcome)
        except Interrupted as k:
            self.outcomes += k.outcomes
            k.outcomes = self.outcomes
            self._keep_rows(statements)
            raise
        self._keep_rows(statements)
        self.rowcount = sum(1 for x in self.outcomes if x.ok)
        if run.not_ok:
            raise batch_error(run.not_ok, run.counts, self.outcomes, sql)


__all__ = ["connect_async", "AsyncConnection", "AsyncCursor", "AsyncBatch"]
