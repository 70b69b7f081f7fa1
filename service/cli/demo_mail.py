"""A local mail sink for `steward serve --demo`: notices land in files, not on the internet."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from service.settings import Settings


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
def demo_mail_sink(directory: Path, settings: Settings) -> Iterator[tuple[Settings, str | None]]:
    """Run a loopback SMTP sink unless SMTP is configured: (settings pointing at it, its address).

    The sink's port reaches the scheduler through the settings it is given, never through
    the environment; with `STEWARD_SMTP_HOST` set, the settings come back as they were.
    """
    if "smtp_host" in settings.model_fields_set:
        yield settings, None
        return
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    controller = Controller(MaildirHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sink = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        yield sink, f"127.0.0.1:{port}"
    finally:
        controller.stop()
