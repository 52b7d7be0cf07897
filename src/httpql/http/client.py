"""Send planned requests with httpx; turn every failure into one of httpql's errors.

This package is the only place that imports httpx, and the only place that ever holds the token
next to a request. Error messages are built from the request's method and URL (which carry no
secret) and the API's own answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ..errors import ApiError, Error, OperationalError, OutcomeUnknownError
from ..plan import Request
from .retry import Retrying, RetryPolicy, TotalTimeout
from .secret import Secret  # noqa: F401 - for type hints

DEFAULT_TIMEOUT = 45.0
DEFAULT_TOTAL_TIMEOUT = 120.0  # one request, all attempts and waits included
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
_JSON_BODY = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: object  # decoded JSON, or None for an empty body
    raw_size: int


class HttpClient:
    """One httpx.Client (one connection pool) per httpql connection."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT,
                 connect_timeout: float | None = None, total_timeout: float | None = None,
                 retry: RetryPolicy | None = None,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 transport: httpx.BaseTransport | None = None,
                 http_log: Callable[[str], None] | None = None) -> None:
        self.http_log = http_log  # receives one trace line per attempt, token masked
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        self._timeout = timeout
        self._connect_timeout = connect_timeout or min(timeout, 10.0)
        self.total_timeout = total_timeout or DEFAULT_TOTAL_TIMEOUT
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=self._connect_timeout),
            follow_redirects=False,  # a redirect must not carry the token elsewhere
            transport=transport,
            headers={"User-Agent": _user_agent(), "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"<HttpClient timeout={self._timeout}>"

    def close(self) -> None:
        self._client.close()

    def send(self, req: Request, token: Secret | None) -> Response:
        # The token goes in through an httpx.Auth object, so no frame of httpql ever holds it
        # as a plain string (tools that print a traceback's locals would show it).
        auth = BearerAuth(token) if token is not None and req.auth == "bearer" else None
        content = req.content
        deadline = time.monotonic() + self.total_timeout
        retrying = Retrying(self.retry, req, deadline=deadline, read_timeout=self._timeout,
                            connect_timeout=self._connect_timeout)
        try:
            return retrying.run(lambda: self._attempt(req, auth, content, deadline))
        except Error as e:
            failure = e
        # raised outside the handler, with no __context__: the httpx exception it replaced holds
        # the request, and with it the Authorization header
        failure.__context__ = None
        raise failure

    def _attempt(self, req: Request, auth: BearerAuth | None, content: bytes | None,
                 deadline: float) -> Response:
        if self.http_log is None:
            return self._exchange(req, auth, content, deadline)
        masked = " ".join(f"{k}: {v}" for k, v in req.headers().items())  # never the real token
        self.http_log(f"> {req.method} {req.url} [{masked}]"
                      + (f" body {len(content)} bytes" if content else ""))
        started = time.perf_counter()
        try:
            resp = self._exchange(req, auth, content, deadline)
        except ApiError as e:
            self.http_log(f"< HTTP {e.status} in {_ms(started)} ms")
            raise
        except httpx.HTTPError as e:
            self.http_log(f"< {type(e).__name__} after {_ms(started)} ms")
            raise
        except Error as e:  # answered, but the answer was refused (not JSON, over the size cap)
            self.http_log(f"< answer refused after {_ms(started)} ms: {type(e).__name__}")
            raise
        self.http_log(f"< HTTP {resp.status} in {_ms(started)} ms, {resp.raw_size} bytes")
        return resp

    def _exchange(self, req: Request, auth: BearerAuth | None, content: bytes | None,
                  deadline: float) -> Response:
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._total_timeout()
        timeout = (httpx.USE_CLIENT_DEFAULT if left >= self._timeout  # no new object per request
                   else httpx.Timeout(left, connect=min(left, self._connect_timeout)))
        # Accept is a client default; only a body adds a header (merging headers costs ~6 µs)
        with self._client.stream(req.method, req.url, content=content,
                                 headers=_headers(req, content),
                                 auth=auth or httpx.USE_CLIENT_DEFAULT, timeout=timeout) as r:
            raw = self._read_capped(r, req, deadline)
            return self._decode(req, r, raw)

    def _total_timeout(self) -> TotalTimeout:
        return TotalTimeout(f"no complete answer within the {self.total_timeout:g} s total "
                            "timeout (raise it with --total-timeout)")

    def _read_capped(self, r: httpx.Response, req: Request, deadline: float) -> bytes:
        if not 200 <= r.status_code < 300:
            # an error answer is classified by its status (429 and 503 may be retried), so read
            # what fits under the cap for its message rather than refuse it
            return self._read_prefix(r, deadline)
        declared = r.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise _over_cap(req, r.status_code, f"is {int(declared):,} bytes, over",
                            self.max_response_bytes)
        chunks, size = [], 0
        for chunk in r.iter_bytes():
            if time.monotonic() > deadline:  # a slow trickle never trips the read timeout
                raise self._total_timeout()
            size += len(chunk)
            if size > self.max_response_bytes:
                raise _over_cap(req, r.status_code, "exceeded", self.max_response_bytes)
            chunks.append(chunk)
        return b"".join(chunks)

    def _read_prefix(self, r: httpx.Response, deadline: float) -> bytes:
        chunks, size = [], 0
        for chunk in r.iter_bytes():
            if time.monotonic() > deadline:
                raise self._total_timeout()
            chunks.append(chunk[:self.max_response_bytes - size])
            size += len(chunks[-1])
            if size >= self.max_response_bytes:
                break
        return b"".join(chunks)

    def _decode(self, req: Request, r: httpx.Response, raw: bytes) -> Response:
        headers = {k.lower(): v for k, v in r.headers.items()}
        body, decode_error = None, None
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError) as e:  # nesting too deep
                decode_error = e
        status = r.status_code
        if 300 <= status < 400:
            where = headers.get("location", "an address it did not give")
            raise ApiError(f"{req.operation} failed: HTTP {status}: the API redirected to {where}; "
                           "httpql does not follow redirects, so the token never goes to another "
                           "address (check the base URL)", status=status, method=req.operation,
                           api_message=f"redirect to {where}", headers=headers)
        if not 200 <= status < 300:
            raise api_error(req, status, body, raw, headers)
        if decode_error is not None:
            ctype = headers.get("content-type", "unknown")
            raise OperationalError(
                f"{req.operation}: the API answered HTTP {status} but the body is not JSON "
                f"(content type {ctype}, starts {_snippet(raw)!r}); the operation may have "
                "succeeded", )
        return Response(status=status, headers=headers, body=body, raw_size=len(raw))


class BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer`` to each request from a Secret, at the last moment."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(****)"

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = "Bearer " + self._token.reveal()
        yield request


def _over_cap(req: Request, status: int, how: str, cap: int) -> OperationalError:
    text = (f"{req.operation}: the response {how} the {cap:,}-byte limit, so it was not read "
            "(raise the limit with --max-response-bytes or max_response_bytes=)")
    if 200 <= status < 300:
        hint = req.hint() or "check the resource's state before sending it again"
        text += (f". The API answered HTTP {status}: the {req.method} succeeded, but its result is "
                 f"unknown to httpql; do not send it again blindly: {hint}")
    else:
        text += f". The API answered HTTP {status}"
    return OperationalError(text)


def api_error(req: Request, status: int, body, raw: bytes, headers: dict) -> ApiError:
    """One message for both error shapes: {"error": {...}} and {"errors": [{...}]}."""
    code, message = None, None
    if isinstance(body, dict):
        err = body.get("error")
        errs = body.get("errors")
        if isinstance(err, dict):
            code, message = err.get("code"), err.get("message")
        elif isinstance(err, str):
            message = err
        elif isinstance(errs, list) and errs:
            parts = [e for e in errs if isinstance(e, dict)]
            if parts:
                code = parts[0].get("code")
                message = "; ".join(str(e.get("message", "")) for e in parts)
        if message is None and isinstance(body.get("message"), str):
            message = body["message"]
    if message is None:
        ctype = headers.get("content-type", "")
        message = (f"no error message (content type {ctype or 'unknown'}, body starts "
                   f"{_snippet(raw)!r})" if raw.strip() else "empty response body")
    code_txt = f" (code {code})" if code is not None and code != status else ""
    text = f"{req.operation} failed: HTTP {status}: {message}{code_txt}"
    return ApiError(text, status=status, code=code, api_message=str(message), method=req.operation,
                    headers=headers)


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.1f}"


def _snippet(raw: bytes) -> str:
    return raw[:60].decode("utf-8", "replace").replace("\n", " ")


def _user_agent() -> str:
    from .. import __version__

    return f"httpql/{__version__}"


__all__ = ["HttpClient", "Response", "OutcomeUnknownError", "DEFAULT_TIMEOUT"]


def _headers(req: Request, content: bytes | None) -> dict | None:
    """Per-request headers: a body's type, and the method's header parameters if it has any."""
    if not req.extra_headers:
        return _JSON_BODY if content is not None else None
    return {**(_JSON_BODY if content is not None else {}), **dict(req.extra_headers)}
