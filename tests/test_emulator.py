"""The Realtime Kit emulator, exercised over real loopback sockets with httpx."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from httpql.emulator import (
    DEMO_ACCOUNT_ID,
    DEMO_APP_ID,
    DEMO_TOKEN,
    Emulator,
    parse_fault_spec,
)

APP = f"/accounts/{DEMO_ACCOUNT_ID}/realtime/kit/{DEMO_APP_ID}"
AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emu(emulator):
    emulator.reset()
    return emulator


@pytest.fixture
def client(emu):
    with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=5) as c:
        yield c


@pytest.fixture
def meeting():
    return str(uuid.uuid4())


def start(client, meeting, **body):
    return client.post(f"{APP}/meetings/{meeting}/livestreams", json=body or None)


def stop(client, meeting):
    return client.post(f"{APP}/meetings/{meeting}/active-livestream/stop")


def active(client, meeting):
    return client.get(f"{APP}/meetings/{meeting}/active-livestream")


def kit_error(response):
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == response.status_code
    return body["error"]["message"]


def v4_error(response):
    body = response.json()
    assert body["success"] is False and body["messages"] == [] and body["result"] is None
    return body["errors"][0]


# --- the three operations -------------------------------------------------------------------------

def test_start_then_get_active_then_stop(client, emu, meeting):
    r = start(client, meeting, name="Demo-1_x", video_config={"height": 720, "width": 1280})
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    data = r.json()["data"]
    assert r.json()["success"] is True
    assert data["status"] == "INVOKED"
    assert str(uuid.UUID(data["id"], version=4)) == data["id"]
    assert data["ingest_server"] == "rtmps://live.cloudflare.com:443/live/"
    assert data["playback_url"].startswith("https://customer-")
    assert data["playback_url"].endswith(".cloudflarestream.com/" + data["playback_url"].split("/")[3]
                                         + "/manifest/video.m3u8")
    int(data["stream_key"], 16)

    r = active(client, meeting)
    assert r.status_code == 200
    live = r.json()["data"]
    assert live["id"] == data["id"] and live["stream_key"] == data["stream_key"]
    assert live["status"] == "LIVE"
    assert live["name"] == "Demo-1_x" and live["meeting_id"] == meeting
    assert live["video_config"] == {"height": 720, "width": 1280}
    assert emu.active_livestream(meeting)["id"] == data["id"]

    r = stop(client, meeting)
    assert r.status_code == 200
    assert r.json() == {"success": True, "data": {"message": "Stopped live stream successfully"}}
    assert emu.active_livestream(meeting) is None
    r = active(client, meeting)
    assert r.status_code == 404
    assert kit_error(r) == f"No active livestream found for meeting {meeting}"


def test_start_without_body(client, meeting):
    assert start(client, meeting).status_code == 201


def test_stop_twice_second_is_400(client, meeting):
    assert start(client, meeting).status_code == 201
    assert stop(client, meeting).status_code == 200
    r = stop(client, meeting)
    assert r.status_code == 400
    assert kit_error(r) == f"No active livestream found for meeting {meeting}"


def test_second_start_is_409(client, meeting):
    first = start(client, meeting)
    r = start(client, meeting)
    assert r.status_code == 409
    assert kit_error(r) == "Meeting already has an active livestream"
    assert active(client, meeting).json()["data"]["id"] == first.json()["data"]["id"]


def test_create_independent_livestream(client):
    r = client.post(f"{APP}/livestreams", json={"name": "Livestreaming-Demo"})
    assert r.status_code == 201
    data = r.json()["data"]
    assert data["disabled"] is False and data["meeting_id"] is None
    assert data["name"] == "Livestreaming-Demo" and data["status"] == "INVOKED"
    assert set(data) == {"disabled", "id", "ingest_server", "meeting_id", "name", "playback_url",
                         "status", "stream_key"}
    other = client.post(f"{APP}/livestreams").json()["data"]
    assert other["name"] is None
    assert other["id"] != data["id"] and other["stream_key"] != data["stream_key"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("meetings/{m}/livestreams", {"name": "has space"}, "name"),
        ("meetings/{m}/livestreams", {"name": "ok\n"}, "name"),
        ("meetings/{m}/livestreams", {"name": 5}, "name"),
        ("meetings/{m}/livestreams", {"video_config": "720p"}, "video_config"),
        ("meetings/{m}/livestreams", {"video_config": {"height": "720"}}, "video_config.height"),
        ("meetings/{m}/livestreams", {"video_config": {"width": True}}, "video_config.width"),
        ("meetings/{m}/livestreams", {"video_config": {"fps": 30}}, "fps"),
        ("livestreams", {"name": "a/b"}, "name"),
        ("livestreams", {"meeting_id": "x"}, "meeting_id"),
    ],
)
def test_invalid_body_is_400_naming_the_field(client, emu, meeting, path, body, field):
    r = client.post(f"{APP}/{path.format(m=meeting)}", json=body)
    assert r.status_code == 400
    assert field in kit_error(r)
    assert emu.active_livestream(meeting) is None


@pytest.mark.parametrize("content", [b"{not json", b"[1]", b'"name"'])
def test_body_not_a_json_object_is_400(client, meeting, content):
    r = client.post(f"{APP}/meetings/{meeting}/livestreams", content=content)
    assert r.status_code == 400
    assert "JSON" in kit_error(r)


def test_name_may_be_null_or_empty(client, meeting):
    assert start(client, meeting, name=None).status_code == 201
    assert client.post(f"{APP}/livestreams", json={"name": ""}).status_code == 201


# --- auth, routing --------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"},
                                     {"Authorization": DEMO_TOKEN}])
def test_bad_or_missing_token_is_401(emu, meeting, headers):
    r = httpx.post(f"{emu.base_url}{APP}/meetings/{meeting}/livestreams", headers=headers)
    assert r.status_code == 401
    assert r.json() == {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}],
                        "messages": [], "result": None}
    assert emu.active_livestream(meeting) is None


def test_recorded_headers_never_hold_the_token(client, emu, meeting):
    start(client, meeting, name="n")
    httpx.get(f"{emu.base_url}{APP}/livestreams", headers={"Authorization": "Bearer guessed"})
    first, second = emu.requests
    assert first.headers["authorization"] == second.headers["authorization"] == "<redacted>"
    for recorded in emu.requests:
        assert DEMO_TOKEN not in repr(recorded) and "guessed" not in repr(recorded)
    assert first.method == "POST" and first.json() == {"name": "n"} and first.fault is None


@pytest.mark.parametrize("path", [
    f"/accounts/other-account/realtime/kit/{DEMO_APP_ID}/meetings/{uuid.uuid4()}/livestreams",
    f"/accounts/{DEMO_ACCOUNT_ID}/realtime/kit/other-app/meetings/{uuid.uuid4()}/livestreams",
    f"/accounts/{DEMO_ACCOUNT_ID}/realtime/kit/other-app/livestreams",
    f"{APP}/meetings/not-a-uuid/livestreams",
    f"{APP}/meetings/%2E%2E/livestreams",
])
def test_unknown_account_app_or_meeting_is_404(client, path):
    r = client.post(path)
    assert r.status_code == 404
    assert kit_error(r) == "Error: resource not found"


def test_raw_path_is_recorded_verbatim_and_encoded_slash_cannot_reroute(client, emu, meeting):
    # Decoded before splitting, this would be .../meetings/<uuid>/livestreams and start a stream.
    raw = f"/client/v4/accounts/{DEMO_ACCOUNT_ID}/realtime/kit/{DEMO_APP_ID}/meetings%2F{meeting}/livestreams"
    r = client.post(raw[len("/client/v4"):] + "?x=1")
    assert r.status_code == 404
    assert v4_error(r)["code"] == 7003
    assert emu.requests[-1].raw_path == raw + "?x=1"
    assert emu.active_livestream(meeting) is None

    # The decoded segment "<uuid>/.." is the meeting id: not a UUID, so no such meeting.
    r = client.post(f"{APP}/meetings/{meeting}%2F%2E%2E/livestreams")
    assert r.status_code == 404
    assert kit_error(r) == "Error: resource not found"
    assert emu.requests[-1].raw_path.endswith(f"/meetings/{meeting}%2F%2E%2E/livestreams")


def test_unknown_route_and_wrong_method(client, meeting):
    r = client.get(f"{APP}/nothing-here")
    assert r.status_code == 404
    assert v4_error(r) == {"code": 7003, "message": f"Could not route to {APP}/nothing-here, "
                                                    "perhaps your object identifier is invalid?"}
    r = client.delete(f"{APP}/meetings/{meeting}/livestreams")
    assert r.status_code == 405
    assert v4_error(r) == {"code": 10405, "message": "Method not allowed"}
    r = client.patch(f"{APP}/livestreams")  # GET (generated) and POST (modelled) only
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "POST"}


def test_keep_alive_reuses_one_connection(client, emu, meeting):
    assert emu.connections == 0
    for _ in range(3):
        assert active(client, meeting).status_code == 404
    assert start(client, meeting).status_code == 201
    assert emu.connections == 1


def test_chunked_request_body(client, meeting, emu):
    r = client.post(f"{APP}/meetings/{meeting}/livestreams", content=iter([b'{"name":', b'"chunky"}']))
    assert r.status_code == 201
    assert emu.active_livestream(meeting)["name"] == "chunky"


# --- faults ---------------------------------------------------------------------------------------

def test_status_fault_without_after_leaves_state(client, emu, meeting):
    emu.inject("status", status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    r = start(client, meeting)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert v4_error(r)["code"] == 503
    assert emu.active_livestream(meeting) is None
    assert emu.requests[-1].fault == "status"
    assert start(client, meeting).status_code == 201  # the fault was used up


def test_status_fault_with_after_changes_state(client, emu, meeting):
    emu.inject("status", status=502, after=True)
    assert start(client, meeting).status_code == 502
    assert emu.active_livestream(meeting) is not None
    assert start(client, meeting).status_code == 409


def test_faults_are_fifo_with_times(client, emu, meeting):
    emu.inject("status", times=2, status=500)
    emu.inject("rate_limit", retry_after=7)
    codes = [active(client, meeting).status_code for _ in range(4)]
    assert codes == [500, 500, 429, 404]
    assert [r.fault for r in emu.requests] == ["status", "status", "rate_limit", None]


def test_path_contains_restricts_a_fault(client, emu, meeting):
    emu.inject("status", status=504, path_contains="/active-livestream/stop")
    assert start(client, meeting).status_code == 201
    assert stop(client, meeting).status_code == 504
    assert stop(client, meeting).status_code == 200
    emu.inject("status", status=500, method="get")
    assert start(client, meeting).status_code == 201
    assert active(client, meeting).status_code == 500


def test_rate_limit(client, emu, meeting):
    emu.inject("rate_limit")
    r = start(client, meeting)
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert v4_error(r) == {"code": 971, "message": "Please wait and consider throttling your request speed"}


def test_delay_then_acts(client, emu, meeting):
    emu.inject("delay", seconds=0.2)
    began = time.perf_counter()
    assert start(client, meeting).status_code == 201
    assert time.perf_counter() - began >= 0.2
    assert emu.active_livestream(meeting) is not None


@pytest.mark.parametrize("after", [False, True])
def test_drop_closes_without_response(client, emu, meeting, after):
    emu.inject("drop", after=after)
    with pytest.raises(httpx.RemoteProtocolError):
        start(client, meeting, name="dropped")
    assert emu.requests[-1].fault == "drop" and emu.requests[-1].json() == {"name": "dropped"}
    assert (emu.active_livestream(meeting) is not None) is after
    assert active(client, meeting).status_code == (200 if after else 404)  # a fresh connection works


def test_non_json_and_html(client, emu, meeting):
    emu.inject("non_json")
    emu.inject("html", status=503)
    r = start(client, meeting)
    assert (r.status_code, r.headers["content-type"], r.text) == (200, "text/plain", "OK")
    r = start(client, meeting)
    assert r.status_code == 503 and r.headers["content-type"] == "text/html"
    assert r.text.startswith("<html>") and "503 Service Unavailable" in r.text
    assert emu.active_livestream(meeting) is None


def test_truncated_sends_half_then_closes(client, emu, meeting):
    emu.inject("truncated")
    with pytest.raises(httpx.RemoteProtocolError):
        start(client, meeting)

    emu.inject("truncated")
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(f"POST /client/v4{APP}/livestreams HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {DEMO_TOKEN}\r\nContent-Length: 0\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201")
    assert b"Content-Type: application/json" in head
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    assert len(body) == length // 2 > 0


def test_empty_not_object_and_huge(client, emu, meeting):
    emu.inject("empty")
    emu.inject("not_object")
    emu.inject("huge", size=300_000)
    r = start(client, meeting)
    assert r.status_code == 201 and r.content == b"" and r.headers["content-length"] == "0"
    r = start(client, meeting)
    assert r.status_code == 201 and r.json() == [1, 2, 3]
    r = start(client, meeting)
    assert r.status_code == 201 and isinstance(r.json(), dict)
    assert abs(len(r.content) - 300_000) < 100
    assert emu.active_livestream(meeting) is None


def test_wrong_type_acts_but_replaces_data(client, emu, meeting):
    emu.inject("wrong_type")
    r = start(client, meeting)
    assert r.status_code == 201 and r.json() == {"success": True, "data": "unexpected"}
    assert emu.active_livestream(meeting) is not None


def test_reset_forgets_faults_requests_and_state(client, emu, meeting):
    start(client, meeting)
    emu.inject("status", status=500)
    emu.reset()
    assert emu.requests == [] and emu.active_livestream(meeting) is None
    assert start(client, meeting).status_code == 201


@pytest.mark.parametrize(("kind", "params"), [
    ("bogus", {}), ("status", {}), ("status", {"status": 99}), ("delay", {}),
    ("delay", {"seconds": -1}), ("huge", {"size": "big"}), ("rate_limit", {"retry-after": 1}),
])
def test_inject_rejects_bad_faults(emu, kind, params):
    with pytest.raises(ValueError):
        emu.inject(kind, **params)


# --- CLI support ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    ("503", ("status", 1, {"status": 503})),
    ("503x2", ("status", 2, {"status": 503})),
    ("429x3", ("rate_limit", 3, {})),
    ("drop", ("drop", 1, {})),
    ("delay=2.5", ("delay", 1, {"seconds": 2.5})),
    ("html", ("html", 1, {})),
    ("html=504", ("html", 1, {"status": 504})),
    ("non_json", ("non_json", 1, {})),
    ("truncated", ("truncated", 1, {})),
    (" Empty ", ("empty", 1, {})),
    ("huge=1000x2", ("huge", 2, {"size": 1000})),
    ("429=5x2", ("rate_limit", 2, {"retry_after": 5.0})),
    ("rate_limit=0.5", ("rate_limit", 1, {"retry_after": 0.5})),
])
def test_parse_fault_spec(spec, expected):
    assert parse_fault_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "teapot", "503x0", "delay", "drop=1", "42", "999", "html=5.5", "503=1"])
def test_parse_fault_spec_rejects_unknown(spec):
    with pytest.raises(ValueError, match=r"valid forms: .*delay=SECONDS"):
        parse_fault_spec(spec)


def test_serve_prints_one_line_and_exits_cleanly_on_ctrl_c():
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    code = "from httpql.emulator import serve; serve(port=0, faults=['503'])"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert line.startswith("httpql emulator listening on http://127.0.0.1:")
        assert line.endswith(f"/client/v4 (token: {DEMO_TOKEN}, account_id: {DEMO_ACCOUNT_ID}, "
                             f"app_id: {DEMO_APP_ID})\n")
        base_url = line.split()[4]
        r = httpx.post(f"{base_url}{APP}/livestreams", headers=AUTH)
        assert r.status_code == 503 and json.loads(r.text)["success"] is False
        assert httpx.post(f"{base_url}{APP}/livestreams", headers=AUTH).status_code == 201
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert out == "" and err == ""


def test_a_429_fault_sends_the_retry_after_it_was_given(emulator):
    kind, times, params = parse_fault_spec("429=7")
    emulator.inject(kind, times, **params)
    r = httpx.post(f"{emulator.base_url}/accounts/x/realtime/kit/y/livestreams",
                   headers={"Authorization": f"Bearer {emulator.token}"}, json={})
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
