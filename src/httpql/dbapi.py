"""A PEP 249 cursor over a Connection."""

from __future__ import annotations

from .errors import Error, InterfaceError


class Cursor:
    arraysize = 1

    def __init__(self, connection) -> None:
        self.connection = connection
        self._rows: list[dict] = []
        self._columns: list[str] = []
        self._pos = 0
        self.rowcount = -1
        self.result = None  # the httpql Result of the last statement
        self.closed = False

    @property
    def description(self):
        if not self._columns:
            return None
        return [(name, None, None, None, None, None, None) for name in self._columns]

    def execute(self, sql: str, parameters=None) -> Cursor:
        if self.closed:
            raise InterfaceError("the cursor is closed")
        result = None
        for result in self.connection.stream(sql, parameters):
            pass
        self.result = result
        self._columns = list(result.columns) if result else []
        self._rows = list(result.rows) if result else []
        self._pos = 0
        self.rowcount = len(self._rows) if self._columns else len(result.statuses) if result else -1
        return self

    def executemany(self, sql: str, seq_of_parameters) -> None:
        """Every parameter set is bound and checked before the first request (run() plans when
        called and sends only when iterated); a failure says which sets were already sent."""
        if self.closed:
            raise InterfaceError("the cursor is closed")
        runs = [self.connection.stream(sql, params) for params in seq_of_parameters]
        statuses = 0
        for i, results in enumerate(runs, 1):
            try:
                for result in results:
                    statuses += len(result.statuses)
            except Error as e:
                if len(runs) > 1:
                    sent = f"sets 1-{i - 1} were sent" if i > 1 else "nothing was sent"
                    e.message = f"parameter set {i} of {len(runs)}: {e.message} ({sent})"
                    e.args = (e.message,)
                raise
        self.result, self._columns, self._rows, self._pos = None, [], [], 0
        self.rowcount = statuses

    def fetchone(self):
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return tuple(row.get(c) for c in self._columns)

    def fetchmany(self, size: int | None = None):
        size = size or self.arraysize
        out = []
        for _ in range(size):
            row = self.fetchone()
            if row is None:
                break
            out.append(row)
        return out

    def fetchall(self):
        out = [tuple(r.get(c) for c in self._columns) for r in self._rows[self._pos:]]
        self._pos = len(self._rows)
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
