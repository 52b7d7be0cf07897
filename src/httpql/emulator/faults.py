"""Fault injection: scripted failures for the emulator's next requests.

A fault replaces the answer to a request. Unless `after=True` is given the request is not acted on;
with it the request is processed first, which simulates "the server acted but the client saw a failure".
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from .state import INGEST_SERVER, json_response, v4_error

KINDS = (
    "status", "rate_limit", "delay", "drop", "non_json", "html",
    "truncated", "empty", "not_object", "wrong_type", "huge", "success_false", "echo_auth",
)
_COMMON_PARAMS = {"after", "path_contains", "method"}
_KIND_PARAMS = {
    "status": {"status", "retry_after"},
    "rate_limit": {"retry_after"},
    "delay": {"seconds"},
    "html": {"status"},
    "empty": {"status"},
    "huge": {"size"},
}
_REQUIRED = {"status": "status", "delay": "seconds"}
_REQUIRED_EXAMPLES = {"status": "inject('status', status=503)", "delay": "inject('delay', seconds=0.5)"}
_VALID: dict[str, Callable[[Any], bool]] = {
    "status": lambda v: isinstance(v, int) and 200 <= v <= 599,  # 1xx would be an interim response
    "seconds": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0,
    "size": lambda v: isinstance(v, int) and v >= 0,
}


@dataclass
class Fault:
    """A queued fault: `kind` applies to the next `times` matching requests.

    Params: `path_contains` / `method` restrict which requests match; `after=True` processes the
    request before replacing its answer; the rest are per kind (see `_KIND_PARAMS`).
    """

    kind: str
    times: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of: {', '.join(KINDS)}")
        if not isinstance(self.times, int) or self.times < 1:
            raise ValueError(f"fault times must be a positive integer, not {self.times!r}")
        # Reject typos (e.g. retry-after) rather than silently ignoring them.
        unknown = set(self.params) - _COMMON_PARAMS - _KIND_PARAMS.get(self.kind, set())
        if unknown:
            raise ValueError(f"unknown parameter(s) for fault {self.kind!r}: {', '.join(sorted(unknown))}")
        required = _REQUIRED.get(self.kind)
        if required is not None and required not in self.params:
            raise ValueError(f"fault {self.kind!r} needs {required}=..., e.g. {_REQUIRED_EXAMPLES[self.kind]}")
        for name, valid in _VALID.items():
            if name in self.params and not valid(self.params[name]):
                raise ValueError(f"fault {self.kind!r}: invalid {name}={self.params[name]!r}")

    def matches(self, method: str, raw_path: str) -> bool:
        path_contains = self.params.get("path_contains")
        wanted_method = self.params.get("method")
        return (path_contains is None or path_contains in raw_path) and (
            wanted_method is None or wanted_method.upper() == method
        )


class FaultQueue:
    """Pending faults, FIFO: a request takes the first fault that matches it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def push(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, raw_path: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(method, raw_path):
                    fault.times -= 1
                    if fault.times == 0:
                        del self._faults[index]
                    return fault
            return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


@dataclass(frozen=True)
class Reply:
    """What the server sends; `drop` and `send_limit` tell it to misbehave on the wire."""

    status: int
    headers: dict[str, str]
    body: bytes
    send_limit: int | None = None  # send only this many body bytes, then close the connection
    drop: bool = False  # close the connection without any response


def apply(fault: Fault, process: Callable[[], Reply], authorization: str = "") -> Reply:
    """The reply for a faulted request; `process` runs the request against the state."""
    kind, params = fault.kind, fault.params
    if kind == "echo_auth":  # a careless server: the credential comes back in the answer
        return Reply(*json_response(201, {"success": True, "data": {"echo": authorization}}))
    if kind == "delay":
        time.sleep(params["seconds"])
        return process()
    if kind == "wrong_type":
        return _replace_data(process())
    processed = process() if params.get("after") else None
    if kind == "drop":
        return Reply(0, {}, b"", drop=True)
    if kind == "truncated":
        reply = processed or Reply(*json_response(201, {"success": True, "data": _fake_livestream()}))
        return dataclasses.replace(reply, send_limit=len(reply.body) // 2)
    return _BUILDERS[kind](params)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a valid but unnamed code such as 599
        return "Error"


def _status(params: dict[str, Any]) -> Reply:
    status = params["status"]
    # Seconds as a whole number where they are one; text (an HTTP date) as it is.
    headers = {"Retry-After": _seconds(params["retry_after"])} if "retry_after" in params else None
    return Reply(*v4_error(status, status, f"{_phrase(status)} (injected fault)", headers))


def _rate_limit(params: dict[str, Any]) -> Reply:
    headers = {"Retry-After": _seconds(params.get("retry_after", 1))}
    return Reply(*v4_error(429, 971, "Please wait and consider throttling your request speed", headers))


def _html(params: dict[str, Any]) -> Reply:
    status = params.get("status", 502)
    title = f"{status} {_phrase(status)}"
    page = (f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center><hr>"
            "<center>cloudflare</center></body></html>")
    return Reply(status, {"Content-Type": "text/html"}, page.encode())


def _huge(params: dict[str, Any]) -> Reply:
    head, tail = b'{"success":true,"data":{"padding":"', b'"}}'
    padding = max(0, params.get("size", 5_000_000) - len(head) - len(tail))
    return Reply(201, {"Content-Type": "application/json"}, head + b"x" * padding + tail)


_BUILDERS: dict[str, Callable[[dict[str, Any]], Reply]] = {
    "status": _status,
    "rate_limit": _rate_limit,
    "html": _html,
    "huge": _huge,
    "non_json": lambda params: Reply(200, {"Content-Type": "text/plain"}, b"OK"),
    "empty": lambda params: Reply(params.get("status", 201), {"Content-Type": "application/json"}, b""),
    "not_object": lambda params: Reply(201, {"Content-Type": "application/json"}, b"[1, 2, 3]"),
    "success_false": lambda params: Reply(*json_response(200, {
        "success": False, "errors": [{"code": 2002, "message": "injected: the envelope says "
                                                               "the operation failed"}]})),
}


def _replace_data(reply: Reply) -> Reply:
    try:
        payload = json.loads(reply.body)
    except ValueError:
        return reply
    if not isinstance(payload, dict):
        return reply
    payload["data"] = "unexpected"
    return Reply(*json_response(reply.status, payload, reply.headers))


def _fake_livestream() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "ingest_server": INGEST_SERVER,
        "playback_url": f"https://customer-truncated.cloudflarestream.com/{uuid.uuid4().hex}"
                        "/manifest/video.m3u8",
        "status": "INVOKED",
        "stream_key": uuid.uuid4().hex * 2,
    }


# NAME[=VALUE][xTIMES], NAME being a kind or an HTTP status code.
_SPEC_RE = re.compile(r"(?P<name>[a-z_]+|\d{3})(?:=(?P<value>\d+(?:\.\d+)?))?(?:x(?P<times>[1-9]\d*))?")
# Kinds that take a value after `=`: (param name, type, required).
_SPEC_VALUES = {
    "status": ("status", int, True),
    "delay": ("seconds", float, True),
    "html": ("status", int, False),
    "empty": ("status", int, False),
    "huge": ("size", int, False),
    "rate_limit": ("retry_after", float, False),
}
SPEC_FORMS = (
    "STATUS (e.g. 500, 503), 429[=RETRY_AFTER_SECONDS], rate_limit[=SECONDS], drop, delay=SECONDS, html[=STATUS], non_json, truncated, "
    "empty[=STATUS], not_object, wrong_type, huge[=BYTES], success_false, echo_auth; append xN to repeat N times (e.g. 503x2)"
)


def parse_fault_spec(spec: str) -> tuple[str, int, dict[str, Any]]:
    """Parse a CLI fault spec such as "503x2" or "delay=2.5" into (kind, times, params)."""
    match = _SPEC_RE.fullmatch(spec.strip().lower())
    try:
        if match is None:
            raise ValueError("unrecognised form")
        name, value, times = match["name"], match["value"], int(match["times"] or 1)
        if name.isdigit():
            kind, params = ("rate_limit", {}) if name == "429" else ("status", {"status": int(name)})
            if value is not None and kind != "rate_limit":
                raise ValueError("a status code takes no =VALUE")
            if value is not None:  # 429=SECONDS: the Retry-After to send
                params["retry_after"] = float(value)
        else:
            kind, params = name, {}
            param, cast, required = _SPEC_VALUES.get(kind, (None, None, False))
            if value is not None and param is None:
                raise ValueError(f"{kind} takes no =VALUE")
            if value is None and required:
                raise ValueError(f"{kind} needs =VALUE")
            if value is not None:
                params[param] = cast(value)
        Fault(kind, times, dict(params))  # validates kind and ranges
    except ValueError as exc:
        raise ValueError(f"invalid fault spec {spec!r} ({exc}); valid forms: {SPEC_FORMS}") from None
    return kind, times, params


def _seconds(value: Any) -> str:
    """Retry-After as the emulator sends it: whole seconds as an integer ("5", not "5.0")."""
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)
