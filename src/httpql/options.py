"""Connection options, defined once: names, defaults, checks and CLI help.

``connect()`` validates its keyword options into one :class:`Options`; the CLI builds its flags
(``--timeout``, ``--concurrency``, ...) from the same fields, so a default lives in one place.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields

from .errors import InterfaceError

MIB = 1024 * 1024
ON_ERROR = ("continue", "stop")
MAX_CONCURRENCY = 256


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` requests in any window of ``seconds`` seconds."""

    requests: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}"


def _opt(default, kind: str, help: str, *, cli: bool = True, low=None, zero_ok=False):
    return field(default=default, metadata={"kind": kind, "help": help, "cli": cli, "low": low,
                                            "zero_ok": zero_ok})


@dataclass(frozen=True)
class Options:
    """The tunable options of a connection (where requests go and the token are separate)."""

    timeout: float = _opt(45.0, "seconds", "Seconds to wait for each answer.")
    connect_timeout: float | None = _opt(
        None, "seconds", "Seconds to wait for a connection (default: min(timeout, 10)).")
    total_timeout: float = _opt(
        120.0, "seconds", "Most seconds for one request in all: every attempt, wait and byte.")
    retries: int = _opt(2, "count", "Retries after the first attempt, where a retry is safe.",
                        low=0)
    retry_backoff: float = _opt(0.5, "seconds", "Base of the exponential back-off between "
                                                "attempts, in seconds.", zero_ok=True)
    retry_max_wait: float = _opt(20.0, "seconds", "Longest single wait between attempts, in "
                                                  "seconds.", zero_ok=True)
    retry_budget: float = _opt(60.0, "seconds", "Most seconds spent waiting between attempts of "
                                                "one request.", zero_ok=True)
    max_response_bytes: int = _opt(10 * MIB, "count", "Refuse responses larger than this.", low=1)
    concurrency: int = _opt(4, "count", "Requests of a batch in flight at once (results stay "
                                        "in input order).", low=1)
    rate_limit: RateLimit | str | None = _opt(
        None, "rate", "Client-side limit shared by all requests of the connection, as "
                      "REQUESTS/SECONDS (e.g. 600/300), or 'none'. Default: the provider's "
                      "declared limit (Cloudflare: 1200/300); none with --emulator or a "
                      "loopback base URL.")
    page_limit: int = _opt(20, "count", "Most pages a SELECT fetches per request (as stackql); "
                                        "a listing cut short says so on stderr.", low=1)
    on_error: str = _opt("continue", "choice", "In a batch, after a record fails: 'continue' "
                                               "with the others, or 'stop' sending.")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            meta = f.metadata
            if meta["kind"] == "seconds":
                _check_seconds(f.name, value, optional=f.default is None,
                               zero_ok=meta["zero_ok"])
            elif meta["kind"] == "count":
                if type(value) is not int or value < meta["low"]:
                    raise InterfaceError(f"{f.name} must be a whole number >= {meta['low']}, "
                                         f"got {value!r}")
        if self.concurrency > MAX_CONCURRENCY:
            raise InterfaceError(f"concurrency must be at most {MAX_CONCURRENCY}, got "
                                 f"{self.concurrency}")
        if self.on_error not in ON_ERROR:
            raise InterfaceError(f"on_error must be 'continue' or 'stop', got {self.on_error!r}")
        object.__setattr__(self, "rate_limit", parse_rate_limit(self.rate_limit))

    @classmethod
    def from_kwargs(cls, values: dict) -> Options:
        """Options from keyword values where None means 'the default' (as the CLI passes)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names and v is not None})


NAMES = tuple(f.name for f in fields(Options))
OFF = "none"  # rate_limit: no client-side limit


def parse_rate_limit(value) -> RateLimit | str | None:
    """None (the provider's limit), 'none' (off), or a RateLimit from 'N/S', (N, S) or one."""
    if value is None or isinstance(value, RateLimit):
        return value
    if value is False or (isinstance(value, str) and value.strip().lower() in ("none", "off")):
        return OFF
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", value)
        if m:
            value = (int(m.group(1)), float(m.group(2)))
    if (isinstance(value, tuple) and len(value) == 2 and type(value[0]) is int
            and isinstance(value[1], (int, float)) and not isinstance(value[1], bool)
            and value[0] >= 1 and math.isfinite(value[1]) and value[1] > 0):
        return RateLimit(value[0], float(value[1]))
    raise InterfaceError(f"rate_limit must be REQUESTS/SECONDS like '600/300' (at most 600 "
                         f"requests in any 300 s), or 'none', got {value!r}")


def _check_seconds(name: str, value, optional: bool, zero_ok: bool) -> None:
    if value is None and optional:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        limit = ">= 0" if zero_ok else "> 0"
        raise InterfaceError(f"{name} must be a finite number of seconds {limit}, got {value!r}")
