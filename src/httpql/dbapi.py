"""A PEP 249 cursor over a Connection (closer to sqlite3 and psycopg where the PEP leaves room)."""

from __future__ import annotations

from .errors import Error, InterfaceError, ProgrammingError


class Cursor:
    arraysize = 1

    def __init__(self, connection) -> None:
        self.connection = connection
        self._rows: list[dict] | None = None  # None: the last statement made no result set
        self._columns: list[str] = []
        self._pos = 0
        self.rowcount = -1
        self.result = None  # the httpql Result of the last statement
        self.closed = False

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def description(self):
        if not self._columns:
            return None
        return [(name, None, None, None, None, None, None) for name in self._columns]

    def execute(self, sql: str, parameters=None) -> Cursor:
        self._check_open()
        self._rows, self._columns, self._pos, self.rowcount, self.result = None, [], 0, -1, None
        result = None
        for result in self.connection.stream(sql, parameters):
            pass
        self.result = result
        if result is not None and result.columns:
            self._columns, self._rows = list(result.columns), list(result.rows)
            self.rowcount = len(self._rows)
        elif result is not None:
            self.rowcount = len(result.statuses)
        return self

    def executemany(self, sql: str, seq_of_parameters) -> None:
        """Every parameter set is bound and checked before the first request (stream() plans when
        called and sends only when iterated); a failure says which sets were already sent."""
        self._check_open()
        self._rows, self._columns, self._pos, self.rowcount, self.result = None, [], 0, -1, None
        runs = [self.connection.stream(sql, params) for params in seq_of_parameters]
        statuses = 0
        for i, results in enumerate(runs, 1):
            try:
                for result in results:
                    statuses += len(result.statuses)
            except Error as e:
                if len(runs) > 1:
                    sent = ("nothing was sent" if i == 1 else "set 1 was sent" if i == 2
                            else f"sets 1-{i - 1} were sent")
                    e.prefix(f"parameter set {i} of {len(runs)}: ")
                    e.note(sent)
                raise
        self.rowcount = statuses

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

    def setinputsizes(self, sizes) -> None:
        pass

    def setoutputsize(self, size, column=None) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def __iter__(self):
        while (row := self.fetchone()) is not None:
            yield row
