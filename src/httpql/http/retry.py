"""When to try a request again, and when a retry could act twice.

The rule is about what the server may already have done:
- nothing was sent (connect error or timeout, no free connection): retry any method;
- HTTP 429 (the API refused without acting): retry any method, waiting what Retry-After says;
- 502/503/504, read timeouts and dropped connections: the request may have been acted on, so
  only idempotent methods (GET, PUT, DELETE, HEAD, OPTIONS) are retried. A POST fails with
  OutcomeUnknownError, which says how to check what happened.
- a certificate that fails verification: never retried (it would fail the same way).
Waits are Retry-After when the API gives it, else exponential with full jitter; each is capped
(max_delay: a longer Retry-After gives up rather than retry early) and so is their sum
(max_total), and no wait runs past the request's total timeout.
"""

from __future__ import annotations

import datetime
import email.utils
import random
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ..errors import ApiError, OperationalError, OutcomeUnknownError
from .secret import mask_credentials

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
GATEWAY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3  # attempts in all, the first included
    base_delay: float = 0.5  # seconds; doubles each attempt
    max_delay: float = 20.0  # cap on one wait
    max_total: float = 60.0  # cap on all waits of one request together
    sleep: Callable[[float], None] = time.sleep

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if _DELTA.fullmatch(value):  # delta-seconds: digits only (no sign, no "1_0", no "inf")
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are always GMT
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


_DELTA = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class NotSent(Exception):
    """A stopped batch (an interrupt, on_error='stop') ended before this request was sent."""


class TotalTimeout(httpx.TimeoutException):
    """The request's overall deadline passed (all attempts, waits and reading together)."""


class Retrying:
    """Runs one request's attempts under a policy; raises httpql errors only.

    ``deadline`` (a time.monotonic() value) is the total timeout: no wait may run past it."""

    def __init__(self, policy: RetryPolicy, req, deadline: float | None = None,
                 read_timeout: float | None = None, connect_timeout: float | None = None) -> None:
        self.policy, self.req = policy, req
        self.idempotent = req.method in IDEMPOTENT
        self.deadline, self.read_timeout = deadline, read_timeout
        self.connect_timeout = connect_timeout
        self.waited = 0.0
        self.attempts = 0

    def run(self, attempt: Callable, limiter=None, stop=None):
        """Attempts until one succeeds or an error is final (threads). ``limiter``: the
        connection's RateLimiter, waited on before each attempt and paused by a 429."""
        while True:
            queued = time.monotonic()
            if limiter is not None and not limiter.acquire(stop=stop):
                raise NotSent()
            self._start_clock(queued)
            self.attempts += 1
            try:
                return attempt()
            except Exception as e:  # noqa: BLE001 - decide() re-raises what is not retryable
                delay, pause_all = self.decide(e)
            if pause_all and limiter is not None:
                limiter.pause(delay)  # every request of the connection waits, not only this one
            else:
                self.policy.sleep(delay)

    async def run_async(self, attempt: Callable, limiter=None):
        """The same decisions as run(), for an ``async`` attempt."""
        import asyncio

        while True:
            queued = time.monotonic()
            if limiter is not None:
                await limiter.acquire_async()
            self._start_clock(queued)
            self.attempts += 1
            try:
                return await attempt()
            except Exception as e:  # noqa: BLE001
                delay, pause_all = self.decide(e)
            if pause_all and limiter is not None:
                limiter.pause(delay)
            else:
                await asyncio.sleep(delay)

    def _start_clock(self, queued: float) -> None:
        """The total timeout counts from the first send: time spent queued behind the client's
        own rate limit, before anything went out, must not turn into "no answer in time, the
        POST may have been acted on". Later waits are retry waits, bounded by decide()."""
        if self.attempts == 0 and self.deadline is not None:
            self.deadline += time.monotonic() - queued

    def decide(self, exc: BaseException) -> tuple[float, bool]:
        """What to do after attempt number ``self.attempts`` failed with ``exc``: the seconds
        to wait before the next attempt and whether the wait is the API's for every request
        (a 429), or raise the httpql error that is final. Pure apart from reading the clock:
        sync and async loops both drive it."""
        try:
            raise exc
        except ApiError as e:
            if e.status == 429:
                return self._delay_or_raise(e, retry_after_seconds(e.headers.get("retry-after")),
                                            "rate limited (HTTP 429)", pause_all=True)
            elif e.status in GATEWAY_STATUSES:
                if not self.idempotent:
                    raise self._unknown(f"the API answered HTTP {e.status} ({e.api_message})",
                                        e.status) from None
                return self._delay_or_raise(e, retry_after_seconds(e.headers.get("retry-after")),
                                            f"HTTP {e.status}")
            else:
                raise
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
            if _tls_failure(e):  # the same certificate will fail again: say so at once
                raise OperationalError(
                    f"{self.req.operation}: the TLS certificate of {_host(self.req.url)} could "
                    f"not be verified ({_reason(e)}); httpql always verifies certificates "
                    "(nothing was sent)") from None
            if isinstance(e, httpx.ConnectTimeout) and self._past_deadline():
                why = "within the total timeout (--total-timeout)"
            elif isinstance(e, httpx.ConnectTimeout) and self.connect_timeout is not None:
                why = (f"within the {self.connect_timeout:g} s connect timeout "
                       "(--connect-timeout)")
            else:
                why = _reason(e)
            err = OperationalError(f"{self.req.operation}: could not connect to "
                                   f"{_host(self.req.url)}: {why} (nothing was sent)")
            return self._delay_or_raise(err, None, "connection failed")
        except httpx.TimeoutException as e:  # read or write timeout: maybe acted on
            if isinstance(e, TotalTimeout):
                what = str(e)
            elif self._past_deadline():  # the attempt's timeout was cut to what was left
                what = "no complete answer within the total timeout (--total-timeout)"
            elif self.read_timeout is not None:
                what = (f"no answer within the {self.read_timeout:g} s timeout "
                        f"({type(e).__name__}; raise it with --timeout)")
            else:
                what = f"no answer within the timeout ({type(e).__name__})"
            if not self.idempotent:
                raise self._unknown(what, None) from None
            return self._delay_or_raise(OperationalError(f"{self.req.operation}: {what}"),
                                        None, what)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
            what = f"the connection broke before a full answer ({_reason(e)})"
            if not self.idempotent:
                raise self._unknown(what, None) from None
            return self._delay_or_raise(OperationalError(f"{self.req.operation}: {what}"),
                                        None, what)
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as e:  # never sent
            raise OperationalError(f"{self.req.operation}: the request could not be sent: "
                                   f"{_reason(e)} (nothing was sent)") from None
        except httpx.HTTPError as e:  # e.g. a body that does not decode: after the answer
            what = f"the answer could not be read ({type(e).__name__}: {_reason(e)})"
            if not self.idempotent:
                raise self._unknown(what, None) from None
            raise OperationalError(f"{self.req.operation}: {what}") from None

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline - 0.01

    def _delay_or_raise(self, err: Exception, hinted: float | None, why: str,
                        pause_all: bool = False) -> tuple[float, bool]:
        p = self.policy
        if self.attempts >= p.max_attempts:
            raise _with_note(err, f"gave up after {self.attempts} attempt(s)") from None
        if hinted is not None and hinted > p.max_delay:
            # retrying sooner than the API asked would only be refused again
            raise _with_note(err, f"the API asked to wait {hinted:g} s before trying again, "
                                  f"more than the {p.max_delay:g} s --retry-max-wait; try later "
                                  "or raise --retry-max-wait") from None
        delay = hinted if hinted is not None else p.backoff(self.attempts)
        if self.waited + delay > p.max_total:
            raise _with_note(err, f"gave up: waiting {delay:.1f}s more would pass the "
                                  f"{p.max_total:.0f}s retry budget") from None
        if self.deadline is not None and time.monotonic() + delay > self.deadline:
            raise _with_note(err, f"gave up: waiting {delay:.1f}s more would pass the total "
                                  "timeout") from None
        self.waited += delay
        return delay, pause_all

    def _unknown(self, what: str, status: int | None) -> OutcomeUnknownError:
        hint = self.req.hint() or "check the resource's state before sending it again"
        return OutcomeUnknownError(
            f"{self.req.operation}: {what}. The {self.req.method} may have been acted on, so it "
            f"was not retried; the outcome is unknown: {hint}", status=status)


def _with_note(err: Exception, note: str) -> Exception:
    if hasattr(err, "message"):
        err.message = f"{err.message} ({note})"
        err.args = (err.message,)
    return err


def _tls_failure(e: Exception) -> bool:
    cause = e.__cause__ or e.__context__
    while cause is not None and not isinstance(cause, ssl.SSLCertVerificationError):
        cause = cause.__cause__ or cause.__context__
    return cause is not None or "CERTIFICATE_VERIFY_FAILED" in str(e)


def _host(url: str) -> str:
    u = httpx.URL(url)
    return f"{u.host}:{u.port}" if u.port else u.host


def _reason(e: Exception) -> str:
    # httpx and h11 messages can quote a header value; mask anything that looks like a credential
    text = (str(e) or type(e).__name__).splitlines()[0][:200]
    return mask_credentials(text)
