"""A PEP 249 cursor over a Connection (closer to sqlite3 and psycopg where the PEP leaves room)."""

from __future__ import annotations

from .errors import Error, InterfaceError, ProgrammingError
from .sql import statements as st


class Cursor:
    arraysize = 1

    def __init__(self, connection) -> None:
        self.connection = connection
        self._rows: list[dict] | None = None  # None: the last statement made no result set
        self._columns: list[str] = []
        self._pos = 0
        self.rowcount = -1
        self.result = None  # the httpql Result of the last statement
        self._outcomes: list = []
        self.closed = False

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def description(self):
        if not self._columns:
            return None
        # type_code: the JSON Schema type the manifest declares for the column (a SELECT's
        # fields), else None
        types = getattr(self.result, "types", None) or {}
        return [(name, types.get(name), None, None, None, None, None) for name in self._columns]

    def execute(self, sql: str, parameters=None) -> Cursor:
        self._check_open()
        self._rows, self._columns, self._pos, self.rowcount, self.result = None, [], 0, -1, None
        result = None
        for result in self.connection.stream(sql, parameters):
            pass
        self._take(result)
        return self

    def _take(self, result) -> None:
        """Hold the last statement's Result: its rows if it made a result set, else its count."""
        self.result = result
        if result is not None and result.columns:
            self._columns, self._rows = list(result.columns), list(result.rows)
            self.rowcount = len(self._rows)
        elif result is not None:
            self.rowcount = len(result.statuses)

    def executemany(self, sql: str, seq_of_parameters, *, on_error: str | None = None,
                    concurrency: int | None = None) -> None:
        """Run ``sql`` once per parameter set; one Outcome per set in ``self.outcomes``.

        Every set is bound and checked before the first request, and every bad one is reported
        (``invalid``) by its index. With ``on_error='stop'`` nothing is sent if any set is
        invalid, and sending stops at the first failure (the rest ``not_sent``); with
        ``'continue'`` (the default) invalid sets are skipped and the others sent,
        ``concurrency`` at a time. Afterwards fetchall() gives the RETURNING rows of every
        successful set in input order; if any set was not ok, BatchError is raised after the
        whole batch ran, carrying ``.outcomes``."""
        from .batch import BatchRun, Outcome, batch_error

        conn = self.connection
        statements, o, prepared = self._prepare_many(conn, sql, seq_of_parameters, on_error,
                                                     concurrency)
        invalid = any(isinstance(p, Error) for p in prepared)
        run = BatchRun(conn, statements, None, on_error=o.on_error, concurrency=o.concurrency,
                       prepared=prepared, mapping_fills_templates=False)
        if invalid and o.on_error == "stop":
            run._stop.set()  # nothing is sent: every other set is reported not_sent
        try:
            for outcome in run:
                self.outcomes.append(outcome)
        except KeyboardInterrupt as k:
            interrupted = run.interrupt(k)
            self.outcomes += interrupted.outcomes
            for i in range(len(self.outcomes), len(prepared)):  # never read by the batch
                bad = prepared[i] if isinstance(prepared[i], Error) else None
                self.outcomes.append(Outcome(i + 1, "invalid" if bad else "not_sent", error=bad))
            interrupted.outcomes = self.outcomes
            self._keep_rows(statements)
            raise interrupted from None
        self._keep_rows(statements)
        self.rowcount = sum(1 for x in self.outcomes if x.ok)
        if run.not_ok:
            raise batch_error(run.not_ok, run.counts, self.outcomes, sql)

    def _keep_rows(self, statements) -> None:
        """The RETURNING rows of every successful set, in input order, for fetch*()."""
        from .connection import _columns

        returning = [getattr(s, "returning", None) for s in statements]
        reads = [isinstance(s, st.Select) for s in statements]
        if not any(r is not None for r in returning) and not any(reads):
            return
        rows = [row for x in self.outcomes if x.ok for row in x.rows]
        cols = next((r for r in returning if r is not None), None) or \
            next((s.columns for s in statements if isinstance(s, st.Select)), ())
        self._rows, self._columns = rows, _columns(cols, rows)

    @property
    def outcomes(self) -> list:
        """One :class:`httpql.Outcome` per parameter set of the last executemany()."""
        return self._outcomes

    @outcomes.setter
    def outcomes(self, value: list) -> None:
        self._outcomes = value

    def _prepare_many(self, conn, sql: str, seq_of_parameters, on_error, concurrency):
        """(statements, options, prepared) for executemany, sync or async: every parameter set
        bound and checked before the first request, a bad one kept as its error."""
        from .batch import prepare

        self._check_open()
        self._rows, self._columns, self._pos, self.rowcount, self.result = None, [], 0, -1, None
        self.outcomes = []
        statements = conn._batch_statements(sql, None)
        o = conn._call_options(on_error, concurrency)
        if isinstance(seq_of_parameters, (str, bytes)) or not hasattr(seq_of_parameters,
                                                                       "__iter__"):
            raise ProgrammingError("executemany takes a sequence of parameter sets, got "
                                   f"{type(seq_of_parameters).__name__}")
        prepared = []
        for params in seq_of_parameters:
            try:
                prepared.append(prepare(conn, statements, params, None, False))
            except Error as e:
                prepared.append(e)
        return statements, o, prepared

    def _check_open(self) -> None:
        if self.closed:
            raise ProgrammingError("the cursor is closed")
        if self.connection.closed:
            raise InterfaceError("the connection is closed")

    def _result_rows(self) -> list[dict]:
        self._check_open()
        if self._rows is None:
            raise ProgrammingError("no rows to fetch: the last statement did not produce a "
                                   "result set (use RETURNING to get rows from an INSERT or EXEC)"
                                   if self.rowcount != -1 or self.result is not None else
                                   "no rows to fetch: execute a statement first")
        return self._rows

    def fetchone(self):
        rows = self._result_rows()
        if self._pos >= len(rows):
            return None
        row = rows[self._pos]
        self._pos += 1
        return tuple(row.get(c) for c in self._columns)

    def fetchmany(self, size: int | None = None):
        rows = self._result_rows()
        size = self.arraysize if size is None else size
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ProgrammingError(f"fetchmany size must be a whole number >= 0, got {size!r}")
        out = [tuple(r.get(c) for c in self._columns) for r in rows[self._pos:self._pos + size]]
        self._pos += len(out)
        return out

    def fetchall(self):
        rows = self._result_rows()
        out = [tuple(r.get(c) for c in self._columns) for r in rows[self._pos:]]
        self._pos = len(rows)
        return out

    def to_pandas(self):
        """The remaining rows as a pandas DataFrame, columns in order (needs httpql[pandas])."""
        pd = _pandas()
        rows = self._result_rows()[self._pos:]
        self._pos = len(self._result_rows())
        return pd.DataFrame([[r.get(c) for c in self._columns] for r in rows],
                            columns=list(self._columns)).convert_dtypes()

    def setinputsizes(self, sizes) -> None:
        pass

    def setoutputsize(self, size, column=None) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def __iter__(self):
        while (row := self.fetchone()) is not None:
            yield row


def _pandas():
    try:
        import pandas
    except ImportError:
        raise InterfaceError("to_pandas() and read_pandas() need pandas: pip install "
                             "'httpql[pandas]'") from None
    return pandas
