"""A loopback webhook receiver for the tests: records every request, answers as scripted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

# Tries a fraction of a second apart, for two minutes: a test sees retries without waiting.
FAST_RETRY = {"initial_s": 0.2, "max_s": 0.5, "window_s": 120}


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    answered: int


@dataclass
class Receiver:
    url: str
    status: int = 200  # what it answers now; tests change it
    script: list[int] = field(default_factory=list)  # answers for the next requests, then `status`
    headers: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]

    def about(self, key: str, value: str, accepted_only: bool = True) -> list[Received]:
        """Requests whose `data[key]` is `value` (thin bodies), in arrival order."""
        kept = self.accepted() if accepted_only else self.received
        return [r for r in kept if json.loads(r.body)["data"].get(key) == value]


async def subscribe(admin: httpx.AsyncClient, url: str, event_types: list[str],
                    **fields: Any) -> dict[str, Any]:
    """A new endpoint with the fast retry schedule; the answer carries its secret."""
    response = await admin.post("/webhook-endpoints", json={
        "url": url, "event_types": event_types, "retry": FAST_RETRY, **fields})
    assert response.status_code == 201, response.text
    return response.json()


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length).decode()
            status = receiver.script.pop(0) if receiver.script else receiver.status
            receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()},
                                              body, status))
            self.send_response(status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
