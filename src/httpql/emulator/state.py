"""In-memory model of Cloudflare Realtime Kit's livestream endpoints; no sockets here.

`RealtimeKitState.handle` takes one HTTP request and returns (status, headers, body), so the
routing, validation and error shapes are testable without a server.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

DEMO_TOKEN = "httpql-emulator-token"
DEMO_ACCOUNT_ID = "demo-account"
DEMO_APP_ID = "demo-app"

API_PREFIX = "/client/v4"
INGEST_SERVER = "rtmps://live.cloudflare.com:443/live/"
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"

Response = tuple[int, dict[str, str], bytes]

# fullmatch, not `$`: `$` would also accept a trailing newline.
_NAME_RE = re.compile(r"[a-zA-Z0-9_-]*")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

# Routes below /accounts/{account_id}/realtime/kit/{app_id}: segment patterns -> {HTTP method: handler}.
_ROUTES = (
    (("meetings", "{meeting_id}", "livestreams"), {"POST": "_start"}),
    (("livestreams",), {"POST": "_create", "GET": "_list"}),
    (("livestreams", "{livestream_id}"), {"GET": "_get_livestream"}),
    (("meetings", "{meeting_id}", "active-livestream", "stop"), {"POST": "_stop"}),
    (("meetings", "{meeting_id}", "active-livestream"), {"GET": "_get_active"}),
)
_STATUSES = ("LIVE", "IDLE", "ERRORED", "INVOKED")


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return status, {"Content-Type": "application/json", **(headers or {})}, body


def v4_error(status: int, code: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """Cloudflare's general v4 envelope, used by its gateway (auth, routing, rate limits)."""
    errors = [{"code": code, "message": message}]
    return json_response(status, {"success": False, "errors": errors, "messages": [], "result": None}, headers)


def kit_error(status: int, message: str) -> Response:
    """Realtime Kit's own error shape."""
    return json_response(status, {"success": False, "error": {"code": status, "message": message}})


class _BadRequest(Exception):
    """A request body that fails validation; the message is shown to the client."""


class RealtimeKitState:
    """Livestreams of one account/app; every meeting whose id is a UUID exists."""

    def __init__(self, token: str = DEMO_TOKEN, account_id: str = DEMO_ACCOUNT_ID, app_id: str = DEMO_APP_ID):
        self.token = token
        self.account_id = account_id
        self.app_id = app_id
        # Real playback URLs share one customer subdomain per account.
        self._customer = "customer-" + "".join(secrets.choice(_ALNUM) for _ in range(16))
        self._lock = threading.Lock()
        self._active: dict[str, dict[str, Any]] = {}  # meeting_id -> its active livestream
        self._independent: dict[str, dict[str, Any]] = {}  # livestream id -> livestream
        self._all: dict[str, dict[str, Any]] = {}  # livestream id -> livestream, oldest first

    def reset(self) -> None:
        with self._lock:
            self._active.clear()
            self._independent.clear()
            self._all.clear()

    def active_livestream(self, meeting_id: str) -> dict[str, Any] | None:
        with self._lock:
            stream = self._active.get(str(meeting_id).lower())
            return dict(stream) if stream is not None else None

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Response:
        if not self._authorized(headers):
            return v4_error(401, 10000, "Authentication error")
        path, _, query = raw_path.split("#", 1)[0].partition("?")
        match = _match(path)
        if match is None or method not in match[2]:
            return self._generated(method, path, match[2] if match else {}, body)
        account_id, app_id, methods, ids = match
        action = methods[method]
        if account_id != self.account_id or app_id != self.app_id:
            return kit_error(404, "Error: resource not found")
        meeting_id = ids.get("meeting_id")
        if meeting_id is not None:
            if not _UUID_RE.fullmatch(meeting_id):
                return kit_error(404, "Error: resource not found")
            meeting_id = meeting_id.lower()
        try:
            if action in ("_list", "_get_livestream"):
                return getattr(self, action)(ids, parse_qs(query))
            return getattr(self, action)(meeting_id, body)
        except _BadRequest as exc:
            return kit_error(400, str(exc))

    def _generated(self, method: str, path: str, modeled: Mapping[str, str], body: bytes) -> Response:
        """Any other operation of the manifests: its response schema's example (stateless)."""
        from ..manifest.examples import example
        from .generated import find

        shown = path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else path
        found, values, allowed = find(method, shown) if shown != path else (None, {}, [])
        if found is None:
            allowed = list(dict.fromkeys([*modeled, *allowed]))
            if allowed:
                return v4_error(405, 10405, "Method not allowed", {"Allow": ", ".join(allowed)})
            message = f"Could not route to {shown}, perhaps your object identifier is invalid?"
            return v4_error(404, 7003, message)
        if values.get("account_id", self.account_id) != self.account_id or \
                values.get("app_id", self.app_id) != self.app_id:
            return kit_error(404, "Error: resource not found")
        if "meeting_id" in values and not _UUID_RE.fullmatch(values["meeting_id"]):
            return kit_error(404, "Error: resource not found")
        if body.strip():
            try:
                json.loads(body)
            except ValueError:
                return kit_error(400, "Request body is not valid JSON")
        answer = example(found.response)
        return json_response(found.success_status[0], answer if answer is not None else {})

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = value.strip().partition(" ")
        # Constant-time compare, as a real gateway would.
        given = token.strip().encode()
        return scheme.lower() == "bearer" and secrets.compare_digest(given, self.token.encode())

    def _new_stream(self) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "ingest_server": INGEST_SERVER,
            "playback_url": f"https://{self._customer}.cloudflarestream.com/{secrets.token_hex(16)}"
                            "/manifest/video.m3u8",
            "stream_key": secrets.token_hex(32),
        }

    def _start(self, meeting_id: str, body: bytes) -> Response:
        fields = _json_object(body, allowed=("name", "video_config"))
        name = _name(fields)
        video_config = _video_config(fields)
        stream = self._new_stream()
        with self._lock:
            if meeting_id in self._active:
                return kit_error(409, "Meeting already has an active livestream")
            self._active[meeting_id] = {
                **stream, "disabled": False, "meeting_id": meeting_id, "name": name,
                "status": "LIVE", "video_config": video_config,
            }
            self._all[stream["id"]] = self._active[meeting_id]
        return json_response(201, {"success": True, "data": {**stream, "status": "INVOKED"}})

    def _create(self, _meeting_id: None, body: bytes) -> Response:
        name = _name(_json_object(body, allowed=("name",)))
        stream = self._new_stream()
        data = {"disabled": False, **stream, "meeting_id": None, "name": name, "status": "INVOKED"}
        with self._lock:
            self._independent[stream["id"]] = dict(data)
            self._all[stream["id"]] = self._independent[stream["id"]]
        return json_response(201, {"success": True, "data": data})

    def _stop(self, meeting_id: str, body: bytes) -> Response:
        # Cloudflare's SDK posts no body; an empty one or `{}` from generic clients is fine.
        _json_object(body, allowed=())
        with self._lock:
            stream = self._active.pop(meeting_id, None)
            if stream is not None:
                stream["status"] = "IDLE"  # still listed, no longer live
        if stream is None:
            return kit_error(400, f"No active livestream found for meeting {meeting_id}")
        return json_response(200, {"success": True, "data": {"message": "Stopped live stream successfully"}})

    def _list(self, _ids: dict, query: dict) -> Response:
        """GET .../livestreams: paged, newest last, filtered by status and exclude_meetings. The
        spec types data as one object; real answers list the livestreams, as here."""
        status = _one(query, "status")
        if status is not None and status not in _STATUSES:
            raise _BadRequest(f"Invalid 'status': must be one of {', '.join(_STATUSES)}")
        page, per_page = _number(query, "page_no", 1), _number(query, "per_page", 50)
        exclude = _one(query, "exclude_meetings") == "true"
        with self._lock:
            streams = [dict(s) for s in self._all.values()
                       if (status is None or s["status"] == status)
                       and not (exclude and s["meeting_id"] is not None)]
        start = (page - 1) * per_page
        shown = streams[start:start + per_page]
        paging = {"start_offset": start + 1 if shown else start, "end_offset": start + len(shown),
                  "total_count": len(streams)}
        return json_response(200, {"success": True, "data": shown, "paging": paging})

    def _get_livestream(self, ids: dict, _query: dict) -> Response:
        with self._lock:
            stream = self._all.get(ids["livestream_id"])
            stream = dict(stream) if stream is not None else None
        if stream is None:
            return kit_error(404, f"No livestream found with id {ids['livestream_id']}")
        return json_response(200, {"success": True, "data": {
            "livestream": stream, "session": None,
            "paging": {"start_offset": 1, "end_offset": 1, "total_count": 1}}})

    def _get_active(self, meeting_id: str, _body: bytes) -> Response:
        stream = self.active_livestream(meeting_id)
        if stream is None:
            return kit_error(404, f"No active livestream found for meeting {meeting_id}")
        return json_response(200, {"success": True, "data": stream})


def _match(path: str) -> tuple[str, str, dict[str, str], dict[str, str]] | None:
    """(account_id, app_id, methods, ids) for a routable path, else None; ``ids`` holds the
    path's variable segments ({meeting_id}, {livestream_id}).

    Segments are decoded after splitting, so an encoded `/` (%2F) stays inside its segment.
    """
    if not path.startswith(API_PREFIX + "/"):
        return None
    segments = [unquote(s) for s in path[len(API_PREFIX) + 1:].split("/")]
    if len(segments) < 6 or segments[0] != "accounts" or segments[2:4] != ["realtime", "kit"]:
        return None
    rest = segments[5:]
    for pattern, methods in _ROUTES:
        if len(pattern) != len(rest):
            continue
        ids: dict[str, str] = {}
        for want, got in zip(pattern, rest, strict=True):
            if want.startswith("{"):
                ids[want[1:-1]] = got
            elif want != got:
                break
        else:
            return segments[1], segments[4], methods, ids
    return None


def _one(query: dict, name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _number(query: dict, name: str, default: int) -> int:
    value = _one(query, name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise _BadRequest(f"Invalid '{name}': must be a whole number >= 1")
    return int(value)


def _json_object(body: bytes, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise _BadRequest("Request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise _BadRequest("Request body must be a JSON object")
    unknown = [key for key in value if key not in allowed]
    if unknown:
        raise _BadRequest(f"Unknown field '{unknown[0]}' in request body")
    return value


def _name(fields: Mapping[str, Any]) -> str | None:
    name = fields.get("name")
    if name is not None and not (isinstance(name, str) and _NAME_RE.fullmatch(name)):
        raise _BadRequest("Invalid 'name': must be a string matching ^[a-zA-Z0-9-_]*$")
    return name


def _video_config(fields: Mapping[str, Any]) -> dict[str, int] | None:
    if "video_config" not in fields:
        return None
    config = fields["video_config"]
    if not isinstance(config, dict):
        raise _BadRequest("Invalid 'video_config': must be an object with integer 'height' and 'width'")
    for key, value in config.items():
        if key not in ("height", "width"):
            raise _BadRequest(f"Invalid 'video_config': unknown field '{key}'")
        if not isinstance(value, int) or isinstance(value, bool):  # bool is an int subclass
            raise _BadRequest(f"Invalid 'video_config.{key}': must be an integer")
    return dict(config)
