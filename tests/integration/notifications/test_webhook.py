"""Webhook delivery against a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from notifications.dispatch import deliver_batch
from notifications.message import Kind, Message, Outcome, Status
from notifications.sample import sample_message
from notifications.webhook import TargetPolicy, post_notice, verify_signature

from .conftest import SmtpServer, WebhookReceiver, free_port

SECRET = "whsec-test"
#: The receiver listens on loopback, which webhooks reach only when allowed explicitly.
LOOPBACK = TargetPolicy(("127.0.0.1",))


def hook_message(url: str, notice_id: int = 1, kind: Kind = Kind.DEPRECATION) -> Message:
    return sample_message(
        notice_id, kind, recipient_email=None, webhook_url=url, webhook_secret=SECRET
    )


def post(message: Message) -> Outcome:
    async def go() -> Outcome:
        async with httpx.AsyncClient(timeout=5.0) as client:
            return await post_notice(client, message, policy=LOOPBACK)

    return asyncio.run(go())


def test_a_webhook_is_signed_and_the_receiver_can_verify_it(
    webhook_receiver: WebhookReceiver,
) -> None:
    message = hook_message(webhook_receiver.url, 3)
    outcome = post(message)
    assert outcome.status is Status.DELIVERED and outcome.code == 200
    (request,) = webhook_receiver.received
    assert request.path == "/hooks/steward"
    assert verify_signature(SECRET, request.body, request.headers["X-Steward-Signature"])
    assert not verify_signature("another", request.body, request.headers["X-Steward-Signature"])
    assert request.headers["X-Steward-Timestamp"].isdigit()
    assert request.headers["Idempotency-Key"] == message.message_id


def test_the_webhook_body_carries_the_notice_and_a_slack_text(
    webhook_receiver: WebhookReceiver,
) -> None:
    post(hook_message(webhook_receiver.url, 4, Kind.SUNSET))
    body = webhook_receiver.received[0].json()
    assert body["kind"] == "sunset"
    assert body["product"] == "sales.orders"
    assert (body["old_version"], body["new_version"]) == ("1.4.0", "2.0.0")
    assert body["sunset_at"] == "2026-05-05T09:00:00Z"
    assert [c["target"] for c in body["changes"]] == [
        "sales.orders.amount",
        "sales.orders.customer_ref",
    ]
    assert "analytics.daily_revenue.amount" in body["touched"]
    assert "sales.orders 1.4.0 is retired" in body["text"]
    assert "customer_ref is removed" in body["text"]


@pytest.mark.parametrize(
    ("status_code", "expected"),
    [
        (204, Status.DELIVERED),
        (408, Status.TRANSIENT),
        (429, Status.TRANSIENT),
        (503, Status.TRANSIENT),
        (404, Status.FAILED),
        (410, Status.FAILED),
    ],
)
def test_the_receivers_status_decides_delivered_transient_or_failed(
    webhook_receiver: WebhookReceiver, status_code: int, expected: Status
) -> None:
    webhook_receiver.statuses.append(status_code)
    outcome = post(hook_message(webhook_receiver.url))
    assert outcome.status is expected
    assert outcome.code == status_code


def test_a_receiver_that_is_down_is_transient() -> None:
    outcome = post(hook_message(f"http://127.0.0.1:{free_port()}/hook"))
    assert outcome.status is Status.TRANSIENT
    assert "ConnectError" in outcome.detail


def test_a_retried_webhook_keeps_its_idempotency_key(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.statuses.append(503)
    message = hook_message(webhook_receiver.url, 8)
    assert post(message).status is Status.TRANSIENT
    assert post(message).status is Status.DELIVERED
    keys = [r.headers["Idempotency-Key"] for r in webhook_receiver.received]
    assert keys == [message.message_id, message.message_id]


def test_a_batch_sends_emails_and_webhooks_together(
    smtp_server: SmtpServer, webhook_receiver: WebhookReceiver
) -> None:
    both = sample_message(1, webhook_url=webhook_receiver.url, webhook_secret=SECRET)
    hooks = [hook_message(webhook_receiver.url, i) for i in range(2, 12)]
    outcomes = asyncio.run(
        deliver_batch([both, *hooks], smtp_server.settings, webhook_concurrency=3, policy=LOOPBACK)
    )
    assert sorted((o.notice_id, o.channel) for o in outcomes) == sorted(
        [("1", "email"), ("1", "webhook")] + [(str(i), "webhook") for i in range(2, 12)]
    )
    assert all(o.status is Status.DELIVERED for o in outcomes)
    assert len(webhook_receiver.received) == 11
    assert smtp_server.handler.accepted_ids() == [both.message_id]


def test_a_slack_compatible_webhook_gets_blocks_with_the_diff_and_links(
    webhook_receiver: WebhookReceiver,
) -> None:
    url = f"slack+{webhook_receiver.url}"
    message = sample_message(
        5,
        Kind.DECISION,
        recipient_email=None,
        webhook_url=url,
        webhook_secret=SECRET,
        outcome="rejected",
        note="keep <amount> & friends",
        note_author="owner@example.com",
        change_request_url="https://steward.example.com/change-requests/5",
    )
    assert post(message).status is Status.DELIVERED
    (request,) = webhook_receiver.received
    assert request.path == "/hooks/steward"  # the slack+ marker is not part of the address
    body = request.json()
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "sales.orders: your change 1.4.0 -> 2.0.0 was rejected"
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds[0] == "header" and "context" in kinds
    text = "\n".join(b["text"]["text"] for b in body["blocks"] if "text" in b)
    assert "`sales.orders.amount` _breaking_" in text
    assert "keep &lt;amount&gt; &amp; friends" in text  # Slack's control characters escaped
    assert "<https://steward.example.com/change-requests/5|Open the change request>" in text
    assert verify_signature(SECRET, request.body, request.headers["X-Steward-Signature"])
