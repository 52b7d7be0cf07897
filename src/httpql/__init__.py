"""httpql: SQL for REST APIs, starting with Cloudflare Realtime Kit.

    >>> import httpql
    >>> with httpql.connect(emulator=True) as conn:
    ...     conn.execute("SHOW METHODS IN cloudflare.realtime_kit.livestreams")

Names are imported on first use, so ``import httpql`` stays cheap for the command line.
"""

from __future__ import annotations

from .errors import (
    ApiError,
    BatchError,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    Interrupted,
    ManifestError,
    NotSupportedError,
    OperationalError,
    OutcomeUnknownError,
    ParseError,
    ProgrammingError,
    Warning,
)

__version__ = "0.1.0"

# PEP 249 module globals
apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "qmark"

__all__ = [
    "connect", "Connection", "Cursor", "Result", "__version__", "apilevel", "threadsafety",
    "paramstyle", "Warning", "Error", "InterfaceError", "ManifestError", "DatabaseError",
    "ProgrammingError", "ParseError", "DataError", "IntegrityError", "InternalError",
    "NotSupportedError", "OperationalError",
    "OutcomeUnknownError", "ApiError", "BatchError", "Interrupted", "Outcome", "connect_async",
]


def connect(*args, **options):
    """Open a :class:`Connection` (see its docstring for the options)."""
    from .connection import connect, hide_token

    hide_token(options)  # this frame's ``options`` must not hold the plain token either
    return connect(*args, **options)


async def connect_async(*args, **options):
    """Open an :class:`httpql.aio.AsyncConnection` (connect()'s options) on httpx.AsyncClient."""
    from .aio import connect_async
    from .connection import hide_token

    hide_token(options)
    return await connect_async(*args, **options)


def __getattr__(name: str):
    if name in ("Connection", "Result"):
        from . import connection

        return getattr(connection, name)
    if name == "Outcome":
        from .batch import Outcome

        return Outcome
    if name == "Cursor":
        from .dbapi import Cursor

        return Cursor
    raise AttributeError(f"module 'httpql' has no attribute {name!r}")
