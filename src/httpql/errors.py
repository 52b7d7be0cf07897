"""The exception tree of httpql (PEP 249 names).

    Error
    ├── InterfaceError            misuse of the library itself (closed connection, bad option)
    │   └── ManifestError         a provider manifest that does not load or validate
    └── DatabaseError
        ├── ProgrammingError      the statement is wrong: syntax, unknown name, missing parameter
        │   └── ParseError        SQL that does not parse (line, column, offending text)
        ├── DataError             a value of the wrong type or shape (bad JSON, pattern mismatch)
        ├── IntegrityError        PEP 249 name; the API's own conflicts arrive as ApiError
        ├── InternalError         a bug in httpql itself (please report it)
        ├── NotSupportedError     a verb the resource has no method for (SELECT on livestreams)
        ├── OperationalError      the request could not be completed (connection, timeout, token)
        │   └── OutcomeUnknownError  sent, but whether the API acted is unknown
        ├── ApiError              the API answered an error: a non-2xx status, or a 2xx whose
        │                         envelope says it failed ("success": false)
        └── BatchError            some records of a batch were not ok (raised after the whole
                                  batch ran; ``outcomes`` holds one Outcome per record)

    KeyboardInterrupt
    └── Interrupted               Ctrl-C or SIGTERM while requests were in flight: says which
                                  statement or row may have been acted on (not an httpql.Error,
                                  so an interrupt still stops a program that catches Error)

Every message names what is wrong and what would be right; none ever holds a secret.
"""

from __future__ import annotations


class Warning(Exception):  # noqa: A001 - PEP 249 name
    """PEP 249 warning class; httpql raises none today."""


class Error(Exception):
    """Base of every error httpql raises.

    ``statement``: the SQL text concerned. ``partial``: the Result holding the rows of the
    requests that succeeded before this error (a multi-row INSERT ... RETURNING), else None.
    ``results``: from Connection.run(), the Results of the statements of the script that
    completed before this error. ``located``: whether the message already names the statement
    within its script."""

    statement: str | None = None
    partial = None
    results: list = []  # noqa: RUF012 - replaced per instance, never mutated
    located: bool = False

    def __init__(self, message: str, *, statement: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.statement = statement

    def prefix(self, text: str) -> None:
        """Put ``text`` before the message (e.g. which row of a batch failed)."""
        self.message = f"{text}{self.message}"
        self.args = (self.message,)

    def note(self, text: str) -> None:
        """Append a parenthesised note to the message."""
        self.message = f"{self.message} ({text})"
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message


class InterfaceError(Error):
    pass


class ManifestError(InterfaceError):
    """One or more manifest problems; ``problems`` lists each as 'file: key: message'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in provider manifests:"
        super().__init__("\n  ".join([head, *self.problems]))


class DatabaseError(Error):
    pass


class ProgrammingError(DatabaseError):
    pass


class ParseError(ProgrammingError):
    def __init__(self, message: str, *, line: int | None = None, col: int | None = None,
                 statement: str | None = None) -> None:
        super().__init__(message, statement=statement)
        self.line = line
        self.col = col


class DataError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class OutcomeUnknownError(OperationalError):
    """The request reached the network but no usable answer came back. ``status``: the HTTP
    status of the answer, if one came (a 503 to a POST), else None."""

    def __init__(self, message: str, *, status: int | None = None,
                 statement: str | None = None) -> None:
        super().__init__(message, statement=statement)
        self.status = status


class ApiError(DatabaseError):
    """The API answered an error. ``status`` is the HTTP status (a 2xx when the envelope said
    ``"success": false``), ``code``/``api_message`` the API's own, ``operation`` the manifest
    method that was called."""

    def __init__(self, message: str, *, status: int, code: object = None,
                 api_message: str | None = None, operation: str | None = None,
                 statement: str | None = None, headers: dict | None = None) -> None:
        super().__init__(message, statement=statement)
        self.headers = headers or {}
        self.status = status
        self.code = code
        self.api_message = api_message
        self.operation = operation


class BatchError(DatabaseError):
    """Some records of a batch (``executemany``, ``--each``) did not succeed. Raised after the
    whole batch ran. ``outcomes``: one :class:`httpql.batch.Outcome` per record, in input order
    (index, status ok/invalid/failed/unknown/not_sent, rows, error, http_status); ``failed``:
    those whose status is not ``ok``."""

    def __init__(self, message: str, outcomes: list, *, statement: str | None = None) -> None:
        super().__init__(message, statement=statement)
        self.outcomes = outcomes

    @property
    def failed(self) -> list:
        return [o for o in self.outcomes if o.status != "ok"]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM arrived while requests were being sent. The message says which
    statement or row may have been acted on and how to check; ``signal`` is the signal number.
    During a batch, ``outcomes`` holds the outcomes not yet delivered (records in flight are
    ``unknown`` unless their answer came, records never sent ``not_sent``)."""

    def __init__(self, message: str, signal: int = 2, outcomes: list | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.signal = signal
        self.outcomes = outcomes or []

    def __str__(self) -> str:
        return self.message


__all__ = [
    "Warning", "Error", "InterfaceError", "ManifestError", "DatabaseError", "ProgrammingError",
    "ParseError", "DataError", "IntegrityError", "InternalError", "NotSupportedError",
    "OperationalError", "OutcomeUnknownError",
    "ApiError", "BatchError", "Interrupted",
]
