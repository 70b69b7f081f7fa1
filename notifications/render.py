"""Render notices with Jinja2 (plain text and HTML per kind) and build the email to send."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import lru_cache
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
    """A multipart/alternative email (text + HTML) with From, To, Subject, Date and Message-ID."""
    if not message.recipient_email:
        raise ValueError(f"notice {message.notice_id} has no email recipient")
    email = EmailMessage(policy=SMTP)
    email["From"] = sender
    email["To"] = message.recipient_email
    email["Subject"] = subject(message)
    email["Date"] = format_datetime(now or datetime.now(UTC))
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(render_text(message))
    email.add_alternative(render_html(message), subtype="html")
    return email
