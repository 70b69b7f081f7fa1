"""Render notices with Jinja2 (plain text and HTML per kind) and build the email to send."""

from __future__ import annotations

from binascii import b2a_qp
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import lru_cache
from secrets import token_hex
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications.message import Kind, Message, iso_utc

_SUBJECTS = {
    Kind.PROPOSED: "{product}: change proposed, {old} -> {new}",
    Kind.DEPRECATION: "{product} {old} is deprecated: {new} takes effect {effective}",
    Kind.REMINDER: "Reminder: {product} {new} takes effect {effective}",
    Kind.MIGRATION: "{product} {new} is live: migrate off {old} before {sunset}",
    Kind.SUNSET: "{product} {old} is retired",
    Kind.RELEASED: "{product} {new} is released",
    Kind.DELIVERY_FAILED: "{product}: a notice about {new} could not be delivered",
    Kind.REVIEW: "{product}: a change {old} -> {new} awaits your decision",
    Kind.DECISION: "{product}: your change {old} -> {new} was {outcome}",
    Kind.COMMENT: "{product}: a comment on the change {old} -> {new}",
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment: package templates, HTML autoescaped, undefined names an error."""
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates ship with the package; no stat() per render
    )
    env.filters["iso"] = lambda moment: iso_utc(moment) if moment is not None else "not yet set"
    return env


def subject(message: Message) -> str:
    """The message's own subject, else one built from its kind, product, versions and dates."""
    if message.subject:
        return message.subject
    return _SUBJECTS[message.kind].format(
        product=message.product,
        old=message.old_version,
        new=message.new_version,
        effective=iso_utc(message.effective_at) if message.effective_at else "on a date to come",
        sunset=iso_utc(message.sunset_at) if message.sunset_at else "its sunset",
        outcome=message.outcome or "decided",
    )


def context(message: Message) -> dict[str, Any]:
    """The names every template sees."""
    return {
        "m": message,
        "kind": message.kind.value,
        "subject": subject(message),
        "greeting": message.recipient_name or message.recipient_email or "there",
    }


def render_text(message: Message) -> str:
    """The plain-text body of a notice."""
    return environment().get_template(f"{message.kind.value}.txt.j2").render(context(message))


def render_html(message: Message) -> str:
    """The HTML body of a notice, every value escaped."""
    return environment().get_template(f"{message.kind.value}.html.j2").render(context(message))


def build_email(message: Message, *, sender: str, now: datetime | None = None) -> EmailMessage:
    """A multipart/alternative email (text + HTML) with From, To, Subject, Date and Message-ID.

    Short ASCII headers and the quoted-printable bodies are stored ready-made (`set_raw`,
    `binascii.b2a_qp`): the stdlib's header registry and `set_content` cost several times
    more than rendering, and the result is the same MIME. Anything else takes the slow path.
    """
    if not message.recipient_email:
        raise ValueError(f"notice {message.notice_id} has no email recipient")
    email = EmailMessage(policy=SMTP)
    _header(email, "From", sender)
    _header(email, "To", message.recipient_email)
    _header(email, "Subject", subject(message))
    _header(email, "Date", format_datetime(now or datetime.now(UTC)))
    _header(email, "Message-ID", message.message_id)
    _header(email, "Auto-Submitted", "auto-generated")
    _header(email, "MIME-Version", "1.0")
    _header(email, "Content-Type", f'multipart/alternative; boundary="=_{token_hex(12)}"')
    email.attach(_text_part(render_text(message), "plain"))
    email.attach(_text_part(render_html(message), "html"))
    return email


def _header(email: EmailMessage, name: str, value: str) -> None:
    """Add a header; refuse line breaks (header injection), store short ASCII as is."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"the {name} header may not contain a line break: {value!r}")
    if value.isascii() and all(len(word) < 70 for word in value.split(" ")):
        email.set_raw(name, _fold(name, value))
    else:
        email[name] = value


def _fold(name: str, value: str, width: int = 78) -> str:
    """Fold an ASCII header value at spaces so no line is longer than `width`.

    >>> _fold("Subject", "word " * 20).count(chr(10))
    1
    """
    lines: list[str] = []
    current = ""
    room = width - len(name) - 2
    for word in value.split(" "):
        if current and len(current) + 1 + len(word) > room:
            lines.append(current)
            current, room = word, width - 1
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\r\n ".join(lines)


def _text_part(body: str, subtype: str) -> EmailMessage:
    """A UTF-8 text part, quoted-printable encoded (safe for any line length and any character)."""
    part = EmailMessage(policy=SMTP)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", "quoted-printable")
    part.set_payload(b2a_qp(body.encode(), istext=True).decode("ascii"))
    return part
