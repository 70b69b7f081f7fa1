"""A real SMTP server (aiosmtpd) and a real webhook receiver, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as ParsedEmail
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifications.smtp import SmtpSettings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RecordingHandler:
    """Records what it accepts; can defer, reject or drop on request."""

    defer_first: int = 0
    reject: set[str] = field(default_factory=set)
    drop_data: int = 0
    delay: float = 0.0
    accepted: list[ParsedEmail] = field(default_factory=list)
    attempted_ids: list[str] = field(default_factory=list)
    peers: set[Any] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        self.peers.add(session.peer)
        if address in self.reject:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.content, policy=default)
        self.attempted_ids.append(str(parsed["Message-ID"]))
        if self.drop_data > 0:
            self.drop_data -= 1
            server.transport.close()
            return "421 4.3.2 going away"
        if self.defer_first > 0:
            self.defer_first -= 1
            return "451 4.3.0 try later"
        self.accepted.append(parsed)
        return "250 Message accepted for delivery"

    def accepted_ids(self) -> list[str]:
        """Message-IDs of the accepted messages, in order."""
        return [str(m["Message-ID"]) for m in self.accepted]


@dataclass
class SmtpServer:
    """The running server's handler and the settings that reach it."""

    handler: RecordingHandler
    settings: SmtpSettings


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An aiosmtpd server on a free loopback port, stopped after the test."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(handler, SmtpSettings(host="127.0.0.1", port=port, timeout=5.0))
    finally:
        controller.stop()


@dataclass
class Received:
    """One request the webhook receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A loopback HTTP server that records POSTs and answers with queued status codes."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A threaded http.server on 127.0.0.1 answering 200 unless told otherwise."""
    state = WebhookReceiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            reply = b"ok" if status < 300 else b"receiver says no"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/steward"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
