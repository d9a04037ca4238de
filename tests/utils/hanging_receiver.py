"""A loopback webhook receiver that holds every request open until released, counting them."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD_AT_MOST_S = 120  # a request still held then is answered anyway (a test that forgot)


@dataclass
class HangingReceiver:
    url: str
    release: threading.Event = field(default_factory=threading.Event)
    holding: int = 0  # requests received, not yet answered, whose sender still waits
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def hanging_receiver() -> Iterator[HangingReceiver]:
    """Every request is read, then held until `release` is set or its sender hangs up;
    `holding` counts the requests held with their sender still waiting."""
    receiver = HangingReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with receiver.lock:
                receiver.holding += 1
            try:
                if not self._held():
                    return
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender gave up first
            finally:
                with receiver.lock:
                    receiver.holding -= 1

        def _held(self) -> bool:
            """Wait for the release; False if the sender closed the connection first."""
            deadline = time.monotonic() + HOLD_AT_MOST_S
            while not receiver.release.wait(0.05) and time.monotonic() < deadline:
                readable, _, _ = select.select([self.connection], [], [], 0)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    return False  # end of stream: the sender gave up (its timeout)
            return True

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
