"""A local mail sink for `steward serve --demo`: notices land in files, not on the internet."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MaildirHandler:
    """Writes every message it receives to DIRECTORY as an .eml file and says so on stderr."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = len(list(directory.glob("*.eml")))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Store one message (aiosmtpd's hook)."""
        raw: bytes = envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.count += 1
        stem = re.sub(r"[^A-Za-z0-9.-]+", "_", str(message.get("Message-ID", "")))[:80]
        path = self.directory / f"{self.count:05d}-{stem}.eml"
        path.write_bytes(raw)
        click.echo(
            f"[demo mail] to {', '.join(envelope.rcpt_tos)}: {message.get('Subject')} ({path})",
            err=True,
        )
        return "250 Message accepted for delivery"


@contextmanager
def demo_mail_sink(directory: Path) -> Iterator[str | None]:
    """Run a loopback SMTP sink and point the scheduler at it, unless SMTP is configured."""
    if os.environ.get("STEWARD_SMTP_HOST"):
        yield None
        return
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    controller = Controller(MaildirHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    os.environ["STEWARD_SMTP_HOST"] = "127.0.0.1"
    os.environ["STEWARD_SMTP_PORT"] = str(port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        controller.stop()
        os.environ.pop("STEWARD_SMTP_HOST", None)
        os.environ.pop("STEWARD_SMTP_PORT", None)
