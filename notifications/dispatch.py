"""Deliver a batch of messages (emails over one connection, webhooks concurrently) and back off."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
import jinja2

from notifications.message import Message, Outcome, Status
from notifications.render import build_email
from notifications.smtp import Email, SmtpSettings, send_emails
from notifications.webhook import TargetPolicy, post_notice

MAX_ATTEMPTS = 8


def next_attempt_at(
    attempts: int,
    now: datetime,
    *,
    base: timedelta = timedelta(seconds=30),
    factor: float = 2.0,
    cap: timedelta = timedelta(hours=1),
    jitter: Literal["full", "none"] = "full",
    rng: random.Random | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> datetime | None:
    """When to try again after `attempts` failed tries, or None once `max_attempts` is reached.

    The delay grows as base * factor**(attempts - 1), never above `cap`; full jitter picks
    uniformly between zero and that delay, so many retries after an outage spread out.

    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> next_attempt_at(3, now, jitter="none") - now
    datetime.timedelta(seconds=120)
    >>> next_attempt_at(20, now, jitter="none", max_attempts=30) - now
    datetime.timedelta(seconds=3600)
    >>> next_attempt_at(8, now) is None
    True
    """
    if attempts < 1:
        raise ValueError(f"attempts counts failed tries and starts at 1, not {attempts}")
    if attempts >= max_attempts:
        return None
    ceiling = min(cap.total_seconds(), base.total_seconds() * factor ** (attempts - 1))
    delay = (rng or random.Random()).uniform(0, ceiling) if jitter == "full" else ceiling
    return now + timedelta(seconds=delay)


async def deliver_batch(
    messages: Sequence[Message],
    smtp_settings: SmtpSettings,
    *,
    webhook_concurrency: int = 10,
    webhook_timeout: float = 10.0,
    http_client: httpx.AsyncClient | None = None,
    now: datetime | None = None,
    policy: TargetPolicy | None = None,
) -> list[Outcome]:
    """Deliver every message on each channel it has; one outcome per (message, channel).

    Emails share one SMTP connection; webhooks run concurrently, at most `webhook_concurrency`
    at a time, each only to an address `policy` allows (by default: public ones). Never
    raises for a bad message: rendering errors become failed outcomes.
    """
    moment = now or datetime.now(UTC)
    broken: list[Outcome] = []
    to_mail = [m for m in messages if m.recipient_email]
    emails = build_ahead(to_mail, sender=smtp_settings.sender, now=moment, broken=broken)
    hooks = [m for m in messages if m.webhook_url]
    if not hooks:
        sent = await send_emails(emails, smtp_settings)
        return broken + sent
    if http_client is not None:
        return await _both(
            emails, hooks, smtp_settings, http_client, webhook_concurrency, broken, policy
        )
    async with httpx.AsyncClient(timeout=webhook_timeout, follow_redirects=False) as client:
        return await _both(
            emails, hooks, smtp_settings, client, webhook_concurrency, broken, policy
        )


async def _both(
    emails: AsyncIterator[Email],
    hooks: list[Message],
    smtp_settings: SmtpSettings,
    client: httpx.AsyncClient,
    concurrency: int,
    broken: list[Outcome],
    policy: TargetPolicy | None,
) -> list[Outcome]:
    """Run the email batch and the bounded webhook posts side by side."""
    limit = asyncio.Semaphore(concurrency)

    async def post(message: Message) -> Outcome:
        async with limit:
            return await post_notice(client, message, policy=policy)

    sending = asyncio.create_task(send_emails(emails, smtp_settings))
    posted = await asyncio.gather(*(post(m) for m in hooks))
    sent = await sending
    return broken + sent + list(posted)


async def build_ahead(
    messages: Sequence[Message],
    *,
    sender: str,
    now: datetime,
    broken: list[Outcome],
    ahead: int = 64,
) -> AsyncIterator[Email]:
    """Yield each message's email, building up to `ahead` of them while the sender waits on I/O.

    A message that cannot be built (bad header, template error) is appended to `broken` as a
    failed outcome instead.
    """
    queue: asyncio.Queue[Email | None] = asyncio.Queue(maxsize=ahead)

    async def produce() -> None:
        try:
            for message in messages:
                try:
                    email = build_email(message, sender=sender, now=now)
                except (ValueError, jinja2.TemplateError) as exc:
                    broken.append(
                        Outcome(
                            message.notice_id, "email", Status.FAILED, message.message_id, str(exc)
                        )
                    )
                    continue
                await queue.put(Email(message.notice_id, email))
                await asyncio.sleep(0)  # let the sender read the server's reply
        finally:
            await queue.put(None)

    producer = asyncio.create_task(produce())
    try:
        while (email := await queue.get()) is not None:
            yield email
        await producer
    finally:
        producer.cancel()


def overall(outcomes: Sequence[Outcome]) -> Status:
    """One notice's status from its channels: transient if any must retry, else failed if any failed.

    >>> d = Outcome("1", "email", Status.DELIVERED, "<m>")
    >>> f = Outcome("1", "webhook", Status.FAILED, "<m>")
    >>> overall([d]), overall([d, f])
    (<Status.DELIVERED: 'delivered'>, <Status.FAILED: 'failed'>)
    """
    statuses = {o.status for o in outcomes}
    if Status.TRANSIENT in statuses:
        return Status.TRANSIENT
    if Status.FAILED in statuses:
        return Status.FAILED
    return Status.DELIVERED
