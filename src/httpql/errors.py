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
        └── ApiError              the API answered with a non-2xx status

Every message names what is wrong and what would be right; none ever holds a secret.
"""

from __future__ import annotations


class Warning(Exception):  # noqa: A001 - PEP 249 name
    """PEP 249 warning class; httpql raises none today."""


class Error(Exception):
    """Base of every error httpql raises."""

    def __init__(self, message: str, *, statement: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.statement = statement

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
    """The request reached the network but no usable answer came back."""


class ApiError(DatabaseError):
    """A non-2xx answer. ``status`` is the HTTP status, ``code``/``api_message`` the API's own."""

    def __init__(self, message: str, *, status: int, code: object = None,
                 api_message: str | None = None, method: str | None = None,
                 statement: str | None = None, headers: dict | None = None) -> None:
        super().__init__(message, statement=statement)
        self.headers = headers or {}
        self.status = status
        self.code = code
        self.api_message = api_message
        self.method = method


__all__ = [
    "Warning", "Error", "InterfaceError", "ManifestError", "DatabaseError", "ProgrammingError",
    "ParseError", "DataError", "IntegrityError", "InternalError", "NotSupportedError",
    "OperationalError", "OutcomeUnknownError",
    "ApiError",
]
