"""The emulator's HTTP server: real loopback sockets around `RealtimeKitState`."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .faults import Fault, FaultQueue, Reply, apply, parse_fault_spec
from .state import (
    API_PREFIX,
    DEMO_ACCOUNT_ID,
    DEMO_APP_ID,
    DEMO_TOKEN,
    RealtimeKitState,
)

if TYPE_CHECKING:  # typing.Self is 3.11+; annotations are never evaluated, so 3.10 runs fine
    from typing import Self


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it; the Authorization value is never stored."""

    method: str
    raw_path: str  # as on the request line, not decoded
    headers: dict[str, str]  # lower-cased names
    body: bytes
    fault: str | None = None  # the fault kind applied to it, if any

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Emulator:
    """A local Realtime Kit API on a free port, for tests, benchmarks and demos."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str = DEMO_TOKEN,
                 account_id: str = DEMO_ACCOUNT_ID, app_id: str = DEMO_APP_ID) -> None:
        self.host = host
        self.port = port
        self.token = token
        self._state = RealtimeKitState(token, account_id, app_id)
        self._faults = FaultQueue()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"httpql-emulator:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()  # else idle keep-alive connections would outlive the server
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None and self.port == 0:
            raise RuntimeError("the emulator has no port until start()")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_PREFIX}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def connections(self) -> int:
        """TCP connections accepted since start() or the last reset()."""
        return self._server.accepted if self._server is not None else 0

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._state.reset()
            if self._server is not None:
                self._server.reset_count()

    def inject(self, kind: str, times: int = 1, **params: Any) -> None:
        self._faults.push(Fault(kind, times, params))

    def active_livestream(self, meeting_id: str) -> dict[str, Any] | None:
        return self._state.active_livestream(meeting_id)

    def _respond(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        # One lock for taking the fault and recording, so the record order matches the FIFO order.
        with self._lock:
            fault = self._faults.take(method, raw_path)
            shown = {k: "<redacted>" if k == "authorization" else v for k, v in headers.items()}
            kind = fault.kind if fault is not None else None
            self._requests.append(RecordedRequest(method, raw_path, shown, body, kind))

        def process() -> Reply:
            return Reply(*self._state.handle(method, raw_path, headers, body))

        if fault is None:
            return process()
        return apply(fault, process, headers.get("authorization", ""))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # a batch opens one connection per request in flight; socketserver's default backlog of 5
    # made some of 16 concurrent connects wait for a SYN retry (about a second)
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        self.accepted = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can stall start-up.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def track(self, conn: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            if is_open:
                self.accepted += 1
                self._open.add(conn)
            else:
                self._open.discard(conn)

    def reset_count(self) -> None:
        with self._open_lock:
            self.accepted = 0

    def close_connections(self) -> None:
        with self._open_lock:
            for conn in self._open:
                _shutdown(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-request is normal in fault tests; real bugs still print.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between header and body writes
    wbufsize = -1  # buffer the response so headers and body usually leave in one send()
    server: _Server

    def version_string(self) -> str:
        return "httpql-emulator"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, *args: Any) -> None:  # one line per request would drown test output
        pass

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self._send(self.server.emulator._respond(self.command, self.path, headers, body))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 400 to a malformed one."""
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked()
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError(length)
            return self.rfile.read(length)
        except ValueError:
            self.send_error(400, "Malformed request body framing")
            return None

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline(1024).split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)
        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(chunks)

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            _shutdown(self.connection)
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if reply.send_limit is None:
            self.wfile.write(reply.body)
        else:
            self.wfile.write(reply.body[:reply.send_limit])
            self.wfile.flush()
            self.close_connection = True


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        conn.shutdown(socket.SHUT_RDWR)


def serve(host: str = "127.0.0.1", port: int = 8787, token: str = DEMO_TOKEN,
          faults: Iterable[str] = ()) -> None:
    """Serve in the foreground (the `httpql emulator` command) until Ctrl-C."""
    parsed = [parse_fault_spec(spec) for spec in faults]  # bad specs fail before binding
    emulator = Emulator(host, port, token)
    for kind, times, params in parsed:
        emulator.inject(kind, times, **params)
    emulator.start()
    print(f"httpql emulator listening on {emulator.base_url} "
          f"(token: {token}, account_id: {DEMO_ACCOUNT_ID}, app_id: {DEMO_APP_ID})", flush=True)
    if not _loopback(host):
        # httpql sends plain http only to loopback hosts, and the demo token is public
        local = emulator.base_url.replace(f"//{_url_host(host)}:", "//127.0.0.1:", 1)
        print(f"warning: listening on {host}, beyond this machine, with a demo token anyone can "
              f"read; httpql on this machine reaches it at {local} (from elsewhere, httpql "
              "accepts only https:// base URLs)", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
