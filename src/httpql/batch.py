"""Batches that lose nothing: one Outcome per input record, in input order.

A batch runs one script per record (``executemany``, ``conn.batch``, ``--each``). Each record is
bound and planned (every check) on the caller's thread; its requests go out on worker threads,
``concurrency`` at a time, under the connection's rate limiter. Outcomes come back in input order
from a window of at most ``2 * concurrency`` records, so memory stays bounded however long the
input. What happens to a record is always said: ``ok``, ``invalid`` (refused before sending),
``failed`` (the API answered an error, or nothing could be sent), ``unknown`` (it may have been
acted on) or ``not_sent``.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from .errors import (
    ApiError,
    BatchError,
    Error,
    Interrupted,
    OperationalError,
    OutcomeUnknownError,
    ProgrammingError,
)
from .sql import statements as st

STATUSES = ("ok", "invalid", "failed", "unknown", "not_sent")
GRACE_SECONDS = 2.0  # after an interrupt, how long requests in flight may still answer


@dataclass
class Outcome:
    """What became of one record. ``index``: 1-based position in the input; ``rows``: what its
    RETURNING (or SELECT) produced; ``error``: the httpql error, with the API's status and
    message for ``failed``; ``http_status``: the last HTTP status the API answered."""

    index: int
    status: str
    rows: list[dict] = field(default_factory=list)
    error: Error | None = None
    http_status: int | None = None
    requests: list = field(default_factory=list, repr=False)  # a dry run: what would be sent

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def message(self) -> str | None:
        return str(self.error) if self.error is not None else None


@dataclass
class _Work:
    """A record on its way: its plans, then (from a worker) its outcome."""

    index: int
    plans: list | None = None
    outcome: Outcome | None = None
    state: str = "queued"  # queued -> sending -> done
    done: threading.Event = field(default_factory=threading.Event)


def prepare(conn, statements: list[st.Statement], record, variables: Mapping | None,
            mapping_fills_templates: bool) -> list:
    """The plans of one record's run of the script; raises the record's first check error."""
    from .sql.params import fill_statements

    if isinstance(record, (str, bytes)) or not isinstance(record, (Mapping, list, tuple)):
        raise ProgrammingError(f"a record must be a mapping of names to values (for :name and "
                               f"{{{{ name }}}}) or a sequence (for ?), got "
                               f"{type(record).__name__} {record!r:.40}")
    if mapping_fills_templates and isinstance(record, Mapping):
        variables = {**(variables or {}), **record}
    bound = fill_statements(statements, record, variables)
    return [conn._plan_checked(stmt) for stmt in bound]


class BatchRun:
    """Iterate for the outcomes, in input order. ``on_error='stop'`` stops sending at the first
    record that is not ok and reports the rest ``not_sent``."""

    def __init__(self, conn, statements: list[st.Statement], records: Iterable, *,
                 variables: Mapping | None = None, on_error: str = "continue",
                 concurrency: int = 4, prepared: list | None = None,
                 mapping_fills_templates: bool = True) -> None:
        self.conn = conn
        self.statements = statements
        self.records = records
        self.variables = variables
        self.on_error = on_error
        self.concurrency = concurrency
        self.prepared = prepared  # executemany: every record checked before the first request
        self.fills = mapping_fills_templates
        self.counts = dict.fromkeys(STATUSES, 0)
        self.not_ok: list[Outcome] = []  # small: the records to report
        self.total = 0
        self._stop = threading.Event()
        self._window: deque[_Work] = deque()
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._interrupted: Interrupted | None = None
        self._iterating = False

    # --- the caller's side -------------------------------------------------------------------

    def __iter__(self) -> Iterator[Outcome]:
        if self._iterating:
            raise ProgrammingError("a batch's outcomes can be iterated once")
        self._iterating = True
        try:
            yield from self._outcomes()
        except KeyboardInterrupt as k:
            raise self.interrupt(k) from None
        finally:
            self._stop.set()
            self._end_workers()

    def _outcomes(self) -> Iterator[Outcome]:
        limit = max(2 * self.concurrency, 2)
        source = self.prepared if self.prepared is not None else self.records
        for i, item in enumerate(source, 1):
            work = self._admit(i, item)
            self._window.append(work)
            while self._window and (len(self._window) >= limit or self._window[0].done.is_set()):
                yield self._deliver()
        while self._window:
            yield self._deliver()

    def _admit(self, index: int, item) -> _Work:
        work = _Work(index)
        if self.prepared is not None or isinstance(item, Error):
            plans = item  # a list of plans, or the record's check (or read) error
        elif self._stop.is_set():
            return self._finish(work, Outcome(index, "not_sent"))
        else:
            try:
                plans = prepare(self.conn, self.statements, item, self.variables, self.fills)
            except Error as e:
                plans = e
        if isinstance(plans, Error):
            outcome = Outcome(index, "invalid", error=_located(plans, index))
            if self.on_error == "stop":
                self._stop.set()
            return self._finish(work, outcome)
        if self._stop.is_set():
            return self._finish(work, Outcome(index, "not_sent"))
        if self.conn.dry_run:  # nothing to send: the requests are the outcome
            requests = [r for plan in plans for r in plan.requests]
            return self._finish(work, Outcome(index, "ok", requests=requests))
        work.plans = plans
        self._start_worker()
        self._tasks.put(work)
        return work

    def _deliver(self) -> Outcome:
        work = self._window[0]
        while not work.done.wait(0.25):  # a timed wait lets Ctrl-C in promptly
            pass
        self._window.popleft()
        outcome = work.outcome
        self.total += 1
        self.counts[outcome.status] += 1
        if outcome.status != "ok":
            self.not_ok.append(Outcome(outcome.index, outcome.status, [], outcome.error,
                                       outcome.http_status))
        return outcome

    def interrupt(self, k: BaseException) -> Interrupted:
        """Stop sending, give requests in flight GRACE_SECONDS to answer, and say what became of
        the records not yet delivered: an Interrupted carrying their outcomes."""
        if self._interrupted is not None:
            return self._interrupted
        self._stop.set()
        import time

        deadline = time.monotonic() + GRACE_SECONDS
        rest: list[Outcome] = []
        for work in self._window:
            work.done.wait(max(0.0, deadline - time.monotonic()))
            if work.outcome is not None and work.done.is_set():
                outcome = work.outcome
            elif work.state == "sending":
                outcome = Outcome(work.index, "unknown", error=OutcomeUnknownError(
                    f"record {work.index}: interrupted while its request was in flight: it may "
                    "have been acted on, the outcome is unknown"))
            else:
                outcome = Outcome(work.index, "not_sent")
            rest.append(outcome)
            self.total += 1
            self.counts[outcome.status] += 1
            if outcome.status != "ok":
                self.not_ok.append(outcome)
        self._window.clear()
        signal = getattr(k, "signal", 2)
        self._interrupted = Interrupted(
            f"interrupted: {self.summary()}; records not read were not sent", signal, rest)
        return self._interrupted

    def summary(self) -> str:
        """'298 ok, 2 failed: records 42, 151'."""
        return summarize(self.counts, self.not_ok)

    def maybe_acted_on(self) -> list[int]:
        return [o.index for o in self.not_ok if o.status == "unknown"]

    # --- the workers ---------------------------------------------------------------------------

    def _start_worker(self) -> None:
        if len(self._workers) < self.concurrency:
            # daemon threads: an interrupted program is not held up by a request still waiting
            t = threading.Thread(target=self._work, daemon=True, name="httpql-batch")
            t.start()
            self._workers.append(t)

    def _end_workers(self) -> None:
        for _ in self._workers:
            self._tasks.put(None)
        self._workers = []

    def _work(self) -> None:
        while (work := self._tasks.get()) is not None:
            if self._stop.is_set():
                outcome = Outcome(work.index, "not_sent")
            else:
                work.state = "sending"
                outcome = run_record(self.conn, work.index, work.plans, self._stop.is_set)
            if outcome.status != "ok" and self.on_error == "stop":
                self._stop.set()
            self._finish(work, outcome)

    @staticmethod
    def _finish(work: _Work, outcome: Outcome) -> _Work:
        work.outcome = outcome
        work.state = "done"
        work.done.set()
        return work


def run_record(conn, index: int, plans: list, stopped=None) -> Outcome:
    """Send one record's requests in order (threads); never raises an httpql Error."""
    from .http.retry import NotSent

    rows: list[dict] = []
    status, sent = None, 0
    for plan in plans:
        for req in plan.requests:
            try:
                response = conn._client().send(req, conn._token_for(req), stopped)
            except NotSent:
                return _stopped(index, rows, sent)
            except Error as e:
                return outcome_of_error(e, req, index, rows)
            sent += 1
            status = response.status
            rows.extend(conn._rows_of(plan, req, response))
    return Outcome(index, "ok", rows, None, status)


async def run_record_async(conn, client, index: int, plans: list) -> Outcome:
    """run_record() on an AsyncHttpClient: the same outcomes from the same errors."""
    rows: list[dict] = []
    status = None
    for plan in plans:
        for req in plan.requests:
            try:
                response = await client.send(req, conn._token_for(req))
            except Error as e:
                return outcome_of_error(e, req, index, rows)
            status = response.status
            rows.extend(conn._rows_of(plan, req, response))
    return Outcome(index, "ok", rows, None, status)


def _stopped(index: int, rows: list, sent: int) -> Outcome:
    if sent == 0:
        return Outcome(index, "not_sent")
    return Outcome(index, "unknown", rows, OutcomeUnknownError(
        f"record {index}: stopped after {sent} of its requests"))


def outcome_of_error(e: Error, req, index: int, rows: list) -> Outcome:
    """A record's outcome from the error its request ended with."""
    if isinstance(e, OutcomeUnknownError):
        return Outcome(index, "unknown", rows, _located(e, index), e.status)
    if isinstance(e, ApiError):
        return Outcome(index, "failed", rows, _located(e, index), e.status)
    if isinstance(e, OperationalError):
        # e.g. a 2xx whose body is not JSON: the POST may well have been acted on
        acted = req.method not in ("GET", "HEAD", "OPTIONS") and \
            "nothing was sent" not in e.message
        return Outcome(index, "unknown" if acted else "failed", rows, _located(e, index))
    return Outcome(index, "failed", rows, _located(e, index))


def _located(e: Error, index: int) -> Error:
    if not getattr(e, "_record", False):
        e.prefix(f"record {index}: ")
        e._record = True
    return e


def summarize(counts: dict, not_ok: list[Outcome], limit: int = 20) -> str:
    """'298 ok, 2 failed: records 42, 151' (statuses after the first separated by ';')."""
    text = ""
    for status in STATUSES:
        n = counts.get(status, 0)
        if not n:
            continue
        part = f"{n} {status.replace('_', ' ')}"
        if status != "ok":
            idx = [o.index for o in not_ok if o.status == status]
            shown = ", ".join(map(str, idx[:limit])) + (f" and {len(idx) - limit} more"
                                                        if len(idx) > limit else "")
            part += f": record{'s' if len(idx) > 1 else ''} {shown}"
        text += ("" if not text else ", " if text.count(":") == 0 else "; ") + part
    return text or "no records"


def batch_error(outcomes_not_ok: list[Outcome], counts: dict, outcomes: list,
                statement: str | None) -> BatchError:
    first = next((o for o in outcomes_not_ok if o.error is not None), None)
    detail = f"; first: {first.error}" if first is not None else ""
    return BatchError(f"batch: {summarize(counts, outcomes_not_ok)}{detail}", outcomes,
                      statement=statement)
