"""``httpql exec --each FILE``: the script once per record, one output row per record, streamed.

Rows come out in input order as records complete: ``record`` (1-based), ``status``,
``http_status``, ``error`` and the RETURNING columns. A summary goes to stderr; on a terminal a
progress bar too (click's), never on a pipe.
"""

from __future__ import annotations

import json
import sys
import time

import click

from ..batch import BatchRun, Outcome
from ..errors import Interrupted
from ..output import cell
from ..sql import statements as st

OUTCOME_COLUMNS = ["record", "status", "http_status", "error"]
REQUEST_COLUMNS = ["record", "method", "url", "headers", "body"]


def run_each(conn, text: str, stream, name: str, fmt_in: str | None, variables: dict | None,
             fmt: str, on_error: str, concurrency: int, total: int | None) -> int:
    """Run the batch and print it; the exit code (0 all ok, 1 any record not ok)."""
    from ..records import read_records

    statements = conn._batch_statements(text, variables)
    records = read_records(stream, fmt_in, name)
    run = BatchRun(conn, statements, records, variables=variables, on_error=on_error,
                   concurrency=concurrency)
    columns = REQUEST_COLUMNS if conn.dry_run else OUTCOME_COLUMNS + _returning(statements)
    writer = RowWriter(fmt, columns)
    bar = _progress(total) if sys.stderr.isatty() else None
    try:
        for outcome in run:
            writer.write_outcome(outcome, conn.dry_run)
            if bar is not None:
                bar.advance(run)
    except KeyboardInterrupt as k:
        stopped = k if isinstance(k, Interrupted) and k.outcomes else run.interrupt(k)
        for outcome in stopped.outcomes:
            writer.write_outcome(outcome, conn.dry_run)
        writer.close()
        if bar is not None:
            bar.finish()
        acted = run.maybe_acted_on()
        if acted:
            stopped.message += (f"; record(s) {', '.join(map(str, acted))} may have been acted "
                                "on: check them before running them again")
            stopped.args = (stopped.message,)
        raise stopped from None
    writer.close()
    if bar is not None:
        bar.finish()
    click.echo(run.summary() if run.total else "no records", err=True)
    return 1 if run.not_ok else 0


def _returning(statements: list[st.Statement]) -> list[str]:
    from ..connection import _columns

    out: list[str] = []
    for stmt in statements:
        cols = getattr(stmt, "returning", None) or (stmt.columns if isinstance(stmt, st.Select)
                                                    else None)
        for label in _columns(cols or (), []):
            if label not in out and label not in OUTCOME_COLUMNS:
                out.append(label)
    return out


class RowWriter:
    """Rows to stdout as they come, in any output format (a table is drawn at the end: its
    widths depend on every row)."""

    def __init__(self, fmt: str, columns: list[str]) -> None:
        self.fmt, self.columns = fmt, columns
        self.count = 0
        self._table: list[dict] = []
        if fmt == "csv":
            self._line(",".join(_csv_cell(c) for c in columns))
        elif fmt == "text":
            self._line("\t".join(columns))

    def write_outcome(self, o: Outcome, dry_run: bool) -> None:
        if dry_run:
            for r in o.requests:
                self.write({"record": o.index, "method": r.method, "url": r.url,
                            "headers": r.headers(), "body": r.body if r.has_body else None})
            if not o.requests:
                self.write({"record": o.index, "method": None, "url": None, "headers": None,
                            "body": {"status": o.status, "error": o.message}})
            return
        head = {"record": o.index, "status": o.status, "http_status": o.http_status,
                "error": o.message}
        for row in o.rows or [{}]:
            self.write({**row, **head})

    def write(self, row: dict) -> None:
        self.count += 1
        fmt = self.fmt
        if fmt == "ndjson":
            self._line(json.dumps(self._ordered(row)))
        elif fmt == "json":
            text = json.dumps(self._ordered(row))
            sys.stdout.write(("[\n  " if self.count == 1 else ",\n  ") + text)
        elif fmt == "csv":
            self._line(",".join(_csv_cell(None if row.get(c) is None else cell(row.get(c)))
                                for c in self.columns))
        elif fmt == "text":
            self._line("\t".join(cell(row.get(c)) for c in self.columns))
        else:
            self._table.append(row)

    def _ordered(self, row: dict) -> dict:
        # the outcome columns first, then RETURNING's (RETURNING * adds the answer's own keys)
        out = {c: row.get(c) for c in self.columns}
        out.update((k, v) for k, v in row.items() if k not in out)
        return out

    def close(self) -> None:
        if self.fmt == "json":
            sys.stdout.write("[]\n" if self.count == 0 else "\n]\n")
        elif self.fmt == "table" and self._table:
            from ..output import render

            sys.stdout.write(render("table", self.columns, self._table))
        sys.stdout.flush()

    @staticmethod
    def _line(text: str) -> None:
        sys.stdout.write(text + "\n")


def _csv_cell(value: str | None) -> str:
    if value is None:
        return ""
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


class _progress:
    """done/total, rate, failures and ETA on stderr (click's progress bar)."""

    def __init__(self, total: int | None) -> None:
        self.started = time.monotonic()
        self.bar = click.progressbar(length=total or 0, file=sys.stderr, label="records",
                                     show_eta=bool(total), show_pos=True,
                                     item_show_func=lambda text: text)
        self.bar.__enter__()
        self.run = None

    def advance(self, run: BatchRun) -> None:
        rate = run.total / max(time.monotonic() - self.started, 1e-6)
        failed = len(run.not_ok)
        if not self.bar.length or run.total > self.bar.length:
            self.bar.length = run.total
        self.bar.update(1, f"{rate:.1f}/s, {failed} not ok")

    def finish(self) -> None:
        self.bar.__exit__(None, None, None)


def count_records(path: str, fmt: str | None) -> int | None:
    """How many records a regular file holds (for the progress bar's total); None if unknown."""
    import csv

    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            if fmt == "csv":
                return max(sum(1 for row in csv.reader(f) if row) - 1, 0)
            if fmt == "ndjson":
                return sum(1 for line in f if line.strip())
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None
