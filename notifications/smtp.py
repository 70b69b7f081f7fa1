"""Send a batch of emails over ONE reused SMTP connection and classify each outcome."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from notifications.message import Outcome, Status

Security = Literal["none", "starttls", "tls"]

# Losing the connection (or never getting one) says nothing about the message: retry it later.
_CONNECTION_ERRORS = (
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPTimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send: host, port, TLS mode, optional login, envelope sender."""

    host: str = "127.0.0.1"
    port: int = 25
    security: Security = "none"
    username: str | None = None
    password: str | None = None
    sender: str = "steward@localhost"
    timeout: float = 30.0
    validate_certs: bool = True
    local_hostname: str = "localhost"

    def client(self) -> aiosmtplib.SMTP:
        """A fresh, unconnected aiosmtplib client for these settings."""
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            validate_certs=self.validate_certs,
            timeout=self.timeout,
            local_hostname=self.local_hostname,
        )


@dataclass(frozen=True, slots=True)
class Email:
    """One email to send: the notice it belongs to and the message itself."""

    notice_id: str
    message: EmailMessage

    @property
    def message_id(self) -> str:
        """The email's Message-ID header."""
        return str(self.message["Message-ID"] or "")


def classify(code: int, text: str) -> Status:
    """An SMTP reply code as an outcome: 2xx delivered, 4xx transient, anything else failed.

    >>> classify(451, "4.3.0 try later"), classify(550, "5.1.1 no such user")
    (<Status.TRANSIENT: 'transient'>, <Status.FAILED: 'failed'>)
    """
    if 200 <= code < 300:
        return Status.DELIVERED
    if 400 <= code < 500:
        return Status.TRANSIENT
    return Status.FAILED


def _outcome(email: Email, status: Status, detail: str, code: int | None = None) -> Outcome:
    return Outcome(email.notice_id, "email", status, email.message_id, detail, code)


async def _send_one(smtp: aiosmtplib.SMTP, email: Email, sender: str) -> Outcome:
    """Send one email on an open connection; connection errors propagate, replies become outcomes."""
    try:
        refused, reply = await smtp.send_message(email.message, sender=sender)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        worst = max(exc.recipients, key=lambda r: r.code)
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        return _outcome(email, classify(worst.code, worst.message), detail, worst.code)
    except (aiosmtplib.SMTPNotSupported, ValueError) as exc:  # e.g. non-ASCII address, no SMTPUTF8
        return _outcome(email, Status.FAILED, f"{type(exc).__name__}: {exc}")
    except aiosmtplib.SMTPResponseException as exc:
        if exc.code in (421, -1):  # the server is closing the channel: treat as a dropped line
            raise aiosmtplib.SMTPServerDisconnected(f"{exc.code} {exc.message}") from exc
        return _outcome(
            email, classify(exc.code, exc.message), f"{exc.code} {exc.message}", exc.code
        )
    if refused:  # only possible with several recipients; report the refusals
        detail = "; ".join(f"{addr}: {r.code} {r.message}" for addr, r in refused.items())
        return _outcome(email, Status.DELIVERED, f"partly refused: {detail}", 250)
    return _outcome(email, Status.DELIVERED, reply, 250)


async def send_emails(
    emails: Iterable[Email] | AsyncIterable[Email], settings: SmtpSettings
) -> list[Outcome]:
    """Send every email over one connection, reconnecting once if it drops; never raises.

    `emails` may be an async iterable, so the caller can build messages while this waits on
    the server.
    """
    source = _aiter(emails)
    outcomes: list[Outcome] = []
    current: Email | None = None
    reconnects = 1
    while True:
        connected = False
        try:
            async with settings.client() as smtp:
                connected = True
                while True:
                    if current is None:
                        current = await anext(source, None)
                        if current is None:
                            return outcomes
                    outcomes.append(await _send_one(smtp, current, settings.sender))
                    current = None
        except aiosmtplib.SMTPAuthenticationError as exc:
            detail = f"login refused: {exc.code} {exc.message}"
        except _CONNECTION_ERRORS as exc:
            if connected and reconnects > 0:
                reconnects -= 1
                continue
            detail = f"{type(exc).__name__}: {exc}"
        except aiosmtplib.SMTPResponseException as exc:  # EHLO/STARTTLS refused on connect
            detail = f"{exc.code} {exc.message}"
        rest = [current] if current is not None else []
        rest += [email async for email in source]
        return outcomes + [_outcome(email, Status.TRANSIENT, detail) for email in rest]


async def _aiter(emails: Iterable[Email] | AsyncIterable[Email]) -> AsyncIterator[Email]:
    """Any iterable of emails as an async iterator."""
    if isinstance(emails, AsyncIterable):
        async for email in emails:
            yield email
    else:
        for email in emails:
            yield email
