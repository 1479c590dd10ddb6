"""A real HTTP proxy in front of a storage server that can misbehave on cue: answer 503 to the
next N requests, or go down (drop every connection) after N more uploads and come back later,
as a datastore that is throttled or restarted mid-upload does.

One request per upstream connection (``Connection: close``), answered and then closed, so a
change of mode takes effect on the client's next request whatever its connection pool holds.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from dataclasses import dataclass, field

HEAD_LIMIT = 1 << 16


@dataclass
class FaultyProxy:
    """The proxy's state; ``endpoint`` replaces the server's in a connection."""

    upstream_port: int
    fail_next: int = 0
    down: bool = False
    down_after_uploads: int | None = None
    seen: list[str] = field(default_factory=list)
    refused: int = 0
    port: int = 0
    _server: socketserver.ThreadingTCPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultyProxy:
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _decide(self, method: str, path: str) -> str:
        with self._lock:
            self.seen.append(f"{method} {path}")
            if self.down:
                self.refused += 1
                return "drop"
            if self.fail_next > 0:
                self.fail_next -= 1
                self.refused += 1
                return "503"
            if method == "PUT" and self.down_after_uploads is not None:
                if self.down_after_uploads == 0:
                    self.down = True
                    self.refused += 1
                    return "drop"
                self.down_after_uploads -= 1
            return "pass"

    def _serve(self, client: socket.socket) -> None:
        with client:
            read = _read_head(client)
            if read is None:
                return
            head, early = read
            request_line, headers = _parse(head)
            method, path = request_line.split(" ")[:2]
            if headers.get("expect", "").lower() == "100-continue":
                client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = _read_exactly(client, early, int(headers.get("content-length", "0") or 0))
            what = self._decide(method, path)
            if what == "drop":
                return
            if what == "503":
                client.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    b"Retry-After: 1\r\nConnection: close\r\n\r\n"
                )
                return
            lines = [request_line] + [
                f"{name}: {value}"
                for name, value in headers.items()
                if name not in ("connection", "expect")
            ]
            lines.append("Connection: close")
            with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60) as up:
                up.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
                while chunk := up.recv(1 << 16):
                    client.sendall(chunk)


def _read_head(sock: socket.socket) -> tuple[bytes, bytes] | None:
    """The request's head, and any body bytes that came with it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > HEAD_LIMIT:
            return None
    head, _, early = data.partition(b"\r\n\r\n")
    return head, early


def _read_exactly(sock: socket.socket, early: bytes, size: int) -> bytes:
    data = early
    while len(data) < size:
        chunk = sock.recv(min(1 << 16, size - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def _parse(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers
