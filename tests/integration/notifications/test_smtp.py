"""Email delivery against a real aiosmtpd server on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

from notifications.dispatch import deliver_batch
from notifications.message import Kind, Message, Outcome, Status
from notifications.sample import sample_message
from notifications.smtp import SmtpSettings
from notifications.webhook import TargetPolicy

from .conftest import SmtpServer, free_port


def deliver(messages: list[Message], settings: SmtpSettings, **kwargs: Any) -> list[Outcome]:
    return asyncio.run(deliver_batch(messages, settings, **kwargs))


def batch(n: int, **overrides: Any) -> list[Message]:
    return [
        sample_message(i, recipient_email=f"reader{i}@example.com", **overrides)
        for i in range(1, n + 1)
    ]


def test_a_batch_of_emails_is_sent_over_one_connection(smtp_server: SmtpServer) -> None:
    messages = batch(5)
    outcomes = deliver(messages, smtp_server.settings)
    assert [o.status for o in outcomes] == [Status.DELIVERED] * 5
    assert len(smtp_server.handler.peers) == 1
    assert smtp_server.handler.accepted_ids() == [m.message_id for m in messages]


def test_the_received_email_is_text_and_html_with_its_headers(smtp_server: SmtpServer) -> None:
    message = sample_message(7, Kind.MIGRATION)
    deliver([message], smtp_server.settings)
    (email,) = smtp_server.handler.accepted
    assert email.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]  # type: ignore[attr-defined]
    assert email["Message-ID"] == "<notice-7@steward.example.com>"
    assert email["To"] == "analytics-team@example.com"
    assert email["From"] == smtp_server.settings.sender
    assert email["Date"] is not None
    assert "sales.orders 2.0.0 is live" in str(email["Subject"])


def test_a_451_is_transient_and_the_retry_delivers_with_the_same_message_id(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.handler.defer_first = 1
    message = sample_message(11)
    (first,) = deliver([message], smtp_server.settings)
    assert first.status is Status.TRANSIENT
    assert first.code == 451 and "try later" in first.detail
    assert smtp_server.handler.accepted == []

    (second,) = deliver([message], smtp_server.settings)
    assert second.status is Status.DELIVERED
    assert smtp_server.handler.attempted_ids == [message.message_id, message.message_id]
    assert smtp_server.handler.accepted_ids() == [message.message_id]


def test_a_550_fails_permanently_with_the_servers_message_and_the_batch_goes_on(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.handler.reject = {"reader2@example.com"}
    outcomes = deliver(batch(3), smtp_server.settings)
    assert [o.status for o in outcomes] == [Status.DELIVERED, Status.FAILED, Status.DELIVERED]
    assert outcomes[1].code == 550
    assert "5.1.1 no such user" in outcomes[1].detail
    assert len(smtp_server.handler.peers) == 1
    assert len(smtp_server.handler.accepted) == 2


def test_a_server_that_is_down_makes_every_email_transient() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2.0)
    outcomes = deliver(batch(3), settings)
    assert [o.status for o in outcomes] == [Status.TRANSIENT] * 3
    assert all(o.detail for o in outcomes)


def test_a_connection_dropped_mid_batch_is_reopened_once_and_the_batch_completes(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.handler.drop_data = 1
    messages = batch(4)
    outcomes = deliver(messages, smtp_server.settings)
    assert [o.status for o in outcomes] == [Status.DELIVERED] * 4
    assert len(smtp_server.handler.peers) == 2
    assert smtp_server.handler.accepted_ids() == [m.message_id for m in messages]


def test_a_connection_that_drops_again_leaves_the_rest_of_the_batch_transient(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.handler.drop_data = 2
    outcomes = deliver(batch(3), smtp_server.settings)
    assert [o.status for o in outcomes] == [Status.TRANSIENT] * 3
    assert smtp_server.handler.accepted == []


def test_html_part_escapes_a_column_name_with_markup(smtp_server: SmtpServer) -> None:
    message = sample_message(5, touched=("analytics.t.<b>odd</b>",))
    deliver([message], smtp_server.settings)
    (email,) = smtp_server.handler.accepted
    html = email.get_body(("html",)).get_content()  # type: ignore[attr-defined]
    text = email.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "&lt;b&gt;odd&lt;/b&gt;" in html and "<b>odd</b>" not in html
    assert "analytics.t.<b>odd</b>" in text


def test_a_message_without_email_is_not_sent_by_smtp(smtp_server: SmtpServer) -> None:
    hook_only = sample_message(
        9, recipient_email=None, webhook_url="http://127.0.0.1:9/x", webhook_secret="s"
    )
    outcomes = deliver([hook_only], smtp_server.settings, policy=TargetPolicy(("127.0.0.1",)))
    assert [o.channel for o in outcomes] == ["webhook"]
    assert outcomes[0].status is Status.TRANSIENT  # nothing listens on port 9
    assert smtp_server.handler.attempted_ids == []
