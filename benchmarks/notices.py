"""Notices rendered and drained to a local aiosmtpd, against a bare aiosmtplib send loop."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from notifications.dispatch import deliver_batch
from notifications.message import Kind, Message, Status
from notifications.render import build_email
from notifications.sample import sample_message
from notifications.smtp import SmtpSettings

GOAL = 0.8

# The SMTP sink runs in its own process so the client's CPU is measured alone.
_SINK = """
import sys, time
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"

controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_sink() -> Iterator[SmtpSettings]:
    """An aiosmtpd process accepting everything on a loopback port."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SINK, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield SmtpSettings(host="127.0.0.1", port=port, sender="steward@example.com")
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)


def _messages(n: int) -> list[Message]:
    kinds = list(Kind)
    return [
        sample_message(i, kinds[i % len(kinds)], recipient_email=f"reader{i}@example.com")
        for i in range(n)
    ]


async def _bare(settings: SmtpSettings, messages: list[Message]) -> float:
    """The floor: pre-built emails sent in a loop over one reused connection."""
    now = datetime.now(UTC)
    emails = [build_email(m, sender=settings.sender, now=now) for m in messages]
    start = time.perf_counter()
    async with settings.client() as smtp:
        for email in emails:
            await smtp.send_message(email)
    return time.perf_counter() - start


async def _steward(settings: SmtpSettings, messages: list[Message]) -> float:
    """Steward's path: render, build and send every notice with `deliver_batch`."""
    start = time.perf_counter()
    outcomes = await deliver_batch(messages, settings)
    elapsed = time.perf_counter() - start
    assert all(o.status is Status.DELIVERED for o in outcomes), "the sink refused a notice"
    return elapsed


def run(quick: bool = False) -> list[str]:
    """Messages per second of both paths (three interleaved pairs) and their median ratio."""
    n = 500 if quick else 10_000
    messages = _messages(n)
    pairs: list[tuple[float, float]] = []
    with smtp_sink() as settings:
        asyncio.run(_bare(settings, messages[:50]))  # warm up templates and the sink
        for _ in range(3):
            bare = asyncio.run(_bare(settings, messages))
            steward = asyncio.run(_steward(settings, messages))
            pairs.append((bare, steward))
    ratios = sorted(bare / steward for bare, steward in pairs)
    ratio = ratios[1]
    bare_rate = n / min(b for b, _ in pairs)
    steward_rate = n / min(s for _, s in pairs)
    verdict = "meets" if ratio >= GOAL else "misses"
    return [
        f"notices: {n} rendered (text + HTML) and sent to a local aiosmtpd over one connection",
        f"  bare aiosmtplib loop, pre-built emails: {bare_rate:,.0f} messages/s (best of 3)",
        f"  steward deliver_batch (render + build + send): {steward_rate:,.0f} messages/s (best of 3)",
        f"  ratio {ratio:.2f}, median of 3 interleaved pairs "
        f"({', '.join(f'{r:.2f}' for r in ratios)}); {verdict} the goal of {GOAL}",
    ]
