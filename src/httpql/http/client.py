"""Send planned requests with httpx; turn every failure into one of httpql's errors.

This package is the only place that imports httpx, and the only place that ever holds the token
next to a request. Error messages are built from the request's method and URL (which carry no
secret) and the API's own answer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx

from ..errors import ApiError, Error, OperationalError, OutcomeUnknownError
from ..options import Options
from ..plan import Request
from .retry import Retrying, RetryPolicy, TotalTimeout
from .secret import Secret  # noqa: F401 - for type hints

_JSON_BODY = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: object  # decoded JSON, or None for an empty body
    raw_size: int


class _Base:
    """What the sync and async clients share: options, per-request setup, reading an answer
    under the size cap and the total deadline, and turning it into a Response or an error."""

    def __init__(self, options: Options | None = None, *, http_log=None, limiter_for=None) -> None:
        o = options or Options()
        self.options = o
        self.http_log = http_log  # receives one trace line per attempt, token masked
        self.retry = RetryPolicy(max_attempts=o.retries + 1, base_delay=o.retry_backoff,
                                 max_delay=o.retry_max_wait, max_total=o.retry_budget)
        self.max_response_bytes = o.max_response_bytes
        self._timeout = o.timeout
        self._connect_timeout = o.connect_timeout or min(o.timeout, 10.0)
        self.total_timeout = o.total_timeout
        self._limiter_for = limiter_for or (lambda req: None)

    def _httpx_options(self, transport) -> dict:
        n = self.options.concurrency
        return dict(timeout=httpx.Timeout(self._timeout, connect=self._connect_timeout),
                    follow_redirects=False,  # a redirect must not carry the token elsewhere
                    transport=transport,
                    limits=httpx.Limits(max_connections=max(100, n),
                                        max_keepalive_connections=max(20, n)),
                    headers={"User-Agent": _user_agent(), "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} timeout={self._timeout}>"

    def _retrying(self, req: Request) -> Retrying:
        deadline = time.monotonic() + self.total_timeout
        return Retrying(self.retry, req, deadline=deadline, read_timeout=self._timeout,
                        connect_timeout=self._connect_timeout)

    def _attempt_timeout(self, deadline: float):
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._total_timeout()
        return (httpx.USE_CLIENT_DEFAULT if left >= self._timeout  # no new object per request
                else httpx.Timeout(left, connect=min(left, self._connect_timeout)))

    def _log_start(self, req: Request, content: bytes | None) -> float:
        masked = " ".join(f"{k}: {v}" for k, v in req.headers().items())  # never the real token
        self.http_log(f"> {req.method} {req.url} [{masked}]"
                      + (f" body {len(content)} bytes" if content else ""))
        return time.perf_counter()

    def _log_end(self, req: Request, started: float, resp: Response | None,
                 e: BaseException | None) -> None:
        if resp is not None:
            # Any 2xx is a success: refusing one the manifest does not list would report a
            # done operation as failed and invite sending it again. The trace says so instead,
            # for whoever keeps the manifest.
            declared = "" if resp.status in req.success_status else (
                f" (not a status the manifest declares for {req.operation}: "
                f"{', '.join(map(str, req.success_status))})")
            self.http_log(f"< HTTP {resp.status} in {_ms(started)} ms, {resp.raw_size} bytes"
                          f"{declared}")
        elif isinstance(e, ApiError):
            self.http_log(f"< HTTP {e.status} in {_ms(started)} ms")
        elif isinstance(e, httpx.HTTPError):
            self.http_log(f"< {type(e).__name__} after {_ms(started)} ms")
        elif isinstance(e, Error):  # answered, but the answer was refused (not JSON, over cap)
            self.http_log(f"< answer refused after {_ms(started)} ms: {type(e).__name__}")

    def _total_timeout(self) -> TotalTimeout:
        return TotalTimeout(f"no complete answer within the {self.total_timeout:g} s total "
                            "timeout (raise it with --total-timeout)")

    def _reader(self, req: Request, r: httpx.Response, deadline: float) -> _Reader:
        return _Reader(self, req, r, deadline)

    def _decode(self, req: Request, status: int, headers: dict, raw: bytes) -> Response:
        body, decode_error = None, None
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError) as e:  # nesting too deep
                decode_error = e
        if 300 <= status < 400:
            where = headers.get("location", "an address it did not give")
            raise ApiError(f"{req.operation} failed: HTTP {status}: the API redirected to {where}; "
                           "httpql does not follow redirects, so the token never goes to another "
                           "address (check the base URL)", status=status, operation=req.operation,
                           api_message=f"redirect to {where}", headers=headers)
        if not 200 <= status < 300:
            raise api_error(req, status, body, raw, headers)
        if decode_error is not None:
            ctype = headers.get("content-type", "unknown")
            raise OperationalError(
                f"{req.operation}: the API answered HTTP {status} but the body is not JSON "
                f"(content type {ctype}, starts {_snippet(raw)!r}); the operation may have "
                "succeeded", )
        success = req.errors.success_field
        if success and isinstance(body, dict) and body.get(success) is False:
            # the envelope says the operation failed, whatever the status line says
            raise api_error(req, status, body, raw, headers)
        return Response(status=status, headers=headers, body=body, raw_size=len(raw))


class _Reader:
    """One answer's bytes, fed chunk by chunk by a sync or an async loop."""

    def __init__(self, client: _Base, req: Request, r: httpx.Response, deadline: float) -> None:
        self.client, self.req, self.status, self.deadline = client, req, r.status_code, deadline
        self.headers = {k.lower(): v for k, v in r.headers.items()}
        self.cap = client.max_response_bytes
        # an error answer is classified by its status (429 and 503 may be retried), so read
        # what fits under the cap for its message rather than refuse it
        self.ok = 200 <= self.status < 300
        self.chunks: list[bytes] = []
        self.size = 0
        declared = self.headers.get("content-length")
        if self.ok and declared and declared.isdigit() and int(declared) > self.cap:
            raise _over_cap(req, self.status, f"is {int(declared):,} bytes, over", self.cap)

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk; True when enough has been read."""
        if time.monotonic() > self.deadline:  # a slow trickle never trips the read timeout
            raise self.client._total_timeout()
        if self.ok:
            self.size += len(chunk)
            if self.size > self.cap:
                raise _over_cap(self.req, self.status, "exceeded", self.cap)
            self.chunks.append(chunk)
            return False
        self.chunks.append(chunk[:self.cap - self.size])
        self.size += len(self.chunks[-1])
        return self.size >= self.cap

    def response(self, auth: BearerAuth | None) -> Response:
        raw, headers = b"".join(self.chunks), self.headers
        if auth is not None:  # an API may echo the Authorization header back: mask it first
            raw = auth.secret.mask_bytes(raw)
            headers = {k: auth.secret.mask(v) for k, v in headers.items()}
        response = self.client._decode(self.req, self.status, headers, raw)
        if auth is not None and b"\\" in raw:
            # a JSON escape (\/, \u0041) can spell the token in a way the raw bytes hid
            response = Response(response.status, headers, _masked(response.body, auth.secret),
                                response.raw_size)
        return response


class HttpClient(_Base):
    """One httpx.Client (one connection pool, shared by a batch's threads) per connection."""

    def __init__(self, options: Options | None = None, *, transport=None, http_log=None,
                 limiter_for=None) -> None:
        super().__init__(options, http_log=http_log, limiter_for=limiter_for)
        self._client = httpx.Client(**self._httpx_options(transport))

    def close(self) -> None:
        self._client.close()

    def send(self, req: Request, token: Secret | None, stop=None) -> Response:
        """``stop``: a callable; once true, a request still waiting for the rate limiter is not
        sent (raises NotSent)."""
        # The token goes in through an httpx.Auth object, so no frame of httpql ever holds it
        # as a plain string (tools that print a traceback's locals would show it).
        auth = BearerAuth(token) if token is not None and req.auth == "bearer" else None
        content = req.content
        retrying = self._retrying(req)
        try:
            return retrying.run(lambda: self._attempt(req, auth, content, retrying.deadline),
                                self._limiter_for(req), stop)
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
        started, resp = self._log_start(req, content), None
        try:
            resp = self._exchange(req, auth, content, deadline)
        except BaseException as e:
            self._log_end(req, started, None, e)
            raise
        self._log_end(req, started, resp, None)
        return resp

    def _exchange(self, req: Request, auth: BearerAuth | None, content: bytes | None,
                  deadline: float) -> Response:
        timeout = self._attempt_timeout(deadline)
        # Accept is a client default; only a body adds a header (merging headers costs ~6 µs)
        with self._client.stream(req.method, req.url, content=content,
                                 headers=_headers(req, content),
                                 auth=auth or httpx.USE_CLIENT_DEFAULT, timeout=timeout) as r:
            reader = self._reader(req, r, deadline)
            for chunk in r.iter_bytes():
                if reader.feed(chunk):
                    break
            return reader.response(auth)


class AsyncHttpClient(_Base):
    """The same requests, decisions and errors on one httpx.AsyncClient."""

    def __init__(self, options: Options | None = None, *, transport=None, http_log=None,
                 limiter_for=None) -> None:
        super().__init__(options, http_log=http_log, limiter_for=limiter_for)
        self._client = httpx.AsyncClient(**self._httpx_options(transport))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, req: Request, token: Secret | None) -> Response:
        auth = BearerAuth(token) if token is not None and req.auth == "bearer" else None
        content = req.content
        retrying = self._retrying(req)
        try:
            return await retrying.run_async(
                lambda: self._attempt(req, auth, content, retrying.deadline),
                self._limiter_for(req))
        except Error as e:
            failure = e
        failure.__context__ = None
        raise failure

    async def _attempt(self, req: Request, auth: BearerAuth | None, content: bytes | None,
                       deadline: float) -> Response:
        if self.http_log is None:
            return await self._exchange(req, auth, content, deadline)
        started, resp = self._log_start(req, content), None
        try:
            resp = await self._exchange(req, auth, content, deadline)
        except BaseException as e:
            self._log_end(req, started, None, e)
            raise
        self._log_end(req, started, resp, None)
        return resp

    async def _exchange(self, req: Request, auth: BearerAuth | None, content: bytes | None,
                        deadline: float) -> Response:
        timeout = self._attempt_timeout(deadline)
        async with self._client.stream(req.method, req.url, content=content,
                                       headers=_headers(req, content),
                                       auth=auth or httpx.USE_CLIENT_DEFAULT,
                                       timeout=timeout) as r:
            reader = self._reader(req, r, deadline)
            async for chunk in r.aiter_bytes():
                if reader.feed(chunk):
                    break
            return reader.response(auth)


class BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer`` to each request from a Secret, at the last moment."""

    def __init__(self, token: Secret) -> None:
        self.secret = token

    def __repr__(self) -> str:
        return "BearerAuth(****)"

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = "Bearer " + self.secret.reveal()
        yield request


def _masked(value, secret: Secret):
    """``value`` (decoded JSON) with the token masked in every string, keys included."""
    if isinstance(value, str):
        return secret.mask(value)
    if isinstance(value, list):
        return [_masked(v, secret) for v in value]
    if isinstance(value, dict):
        return {secret.mask(k): _masked(v, secret) for k, v in value.items()}
    return value


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
    """One message for whatever shape the provider's errors take (``req.errors``): the first of
    its error fields that holds text, an object with a code and a message, or a list of them."""
    shape = req.errors
    code, message = _error_in(body, shape) if isinstance(body, dict) else (None, None)
    envelope = 200 <= status < 300  # a 2xx whose envelope says it failed
    if message is None:
        ctype = headers.get("content-type", "")
        message = ("no error message" if envelope else
                   f"no error message (content type {ctype or 'unknown'}, body starts "
                   f"{_snippet(raw)!r})" if raw.strip() else "empty response body")
    code_txt = f" (code {code})" if code is not None and code != status else ""
    said = f'HTTP {status} with "{shape.success_field}": false' if envelope else f"HTTP {status}"
    text = f"{req.operation} failed: {said}: {message}{code_txt}"
    if status in (401, 403) and req.auth == "bearer":
        text += (f"; check the API token{' in $' + req.credentials_env if req.credentials_env else ''}"
                 f": it must be valid, unexpired and have {req.permission_hint or 'the permissions this API needs'}")
    return ApiError(text, status=status, code=code, api_message=str(message),
                    operation=req.operation, headers=headers)


def _error_in(body: dict, shape) -> tuple[object, str | None]:
    """(code, message) from the first of ``shape.fields`` that gives a message."""
    code = None
    for name in shape.fields:
        found = body.get(name)
        if isinstance(found, str):
            return code, found
        if isinstance(found, dict):
            found = [found]
        if isinstance(found, list):
            parts = [e for e in found if isinstance(e, dict)]
            if parts:
                code = parts[0].get(shape.code_key) if code is None else code
                messages = [str(e[shape.message_key]) for e in parts if shape.message_key in e]
                if messages:
                    return code, "; ".join(messages)
    return code, None


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.1f}"


def _snippet(raw: bytes) -> str:
    return raw[:60].decode("utf-8", "replace").replace("\n", " ")


def _user_agent() -> str:
    from .. import __version__

    return f"httpql/{__version__}"


__all__ = ["HttpClient", "AsyncHttpClient", "Response", "OutcomeUnknownError"]

def _headers(req: Request, content: bytes | None) -> dict | None:
    """Per-request headers: a body's type, and the method's header parameters if it has any."""
    if not req.extra_headers:
        return _JSON_BODY if content is not None else None
    return {**(_JSON_BODY if content is not None else {}), **dict(req.extra_headers)}
