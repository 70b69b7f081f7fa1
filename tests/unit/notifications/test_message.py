"""Message values, Message-IDs, signatures and the backoff policy."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.dispatch import next_attempt_at, overall
from notifications.message import Outcome, Status, message_id
from notifications.sample import sample_message
from notifications.webhook import payload, sign, verify_signature

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_same_notice_always_gets_the_same_message_id() -> None:
    assert message_id(42, "steward.example.com") == message_id("42", "steward.example.com")
    assert message_id(42, "steward.example.com") != message_id(43, "steward.example.com")


@pytest.mark.parametrize("domain", ["", "a b", "x@y", "<d>"])
def test_a_message_id_domain_with_forbidden_characters_is_refused(domain: str) -> None:
    with pytest.raises(ValueError, match="Message-ID domain"):
        message_id(1, domain)


def test_a_message_needs_an_email_or_a_webhook() -> None:
    with pytest.raises(ValueError, match="neither an email nor a webhook"):
        sample_message(1, recipient_email=None)


def test_a_webhook_without_a_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="no secret"):
        sample_message(1, webhook_url="http://127.0.0.1/h")


def test_naive_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sample_message(1, effective_at=datetime(2026, 1, 1))


@given(secret=st.text(min_size=1), body=st.binary(), extra=st.binary(min_size=1))
def test_a_signature_verifies_its_body_and_no_other(secret: str, body: bytes, extra: bytes) -> None:
    header = sign(secret, body)
    assert verify_signature(secret, body, header)
    assert not verify_signature(secret, body + extra, header)
    assert not verify_signature(secret, body, header.replace("sha256=", "sha1="))
    assert not verify_signature(secret, body, None)


def test_the_webhook_payload_is_json_ready_and_dated_in_utc() -> None:
    body = payload(sample_message(1), now=NOW)
    assert body["sent_at"] == "2026-01-01T00:00:00Z"
    assert body["effective_at"] == "2026-02-04T09:00:00Z"
    assert body["message_id"] == "<notice-1@steward.example.com>"


def test_backoff_doubles_from_the_base_until_the_cap() -> None:
    delays = [next_attempt_at(n, NOW, jitter="none", max_attempts=20) for n in range(1, 10)]
    seconds = [(d - NOW).total_seconds() for d in delays if d is not None]
    assert seconds == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@given(attempts=st.integers(1, 7), seed=st.integers())
def test_full_jitter_stays_between_now_and_the_exponential_ceiling(
    attempts: int, seed: int
) -> None:
    at = next_attempt_at(attempts, NOW, rng=random.Random(seed))
    ceiling = next_attempt_at(attempts, NOW, jitter="none")
    assert at is not None and ceiling is not None
    assert NOW <= at <= ceiling


def test_jitter_with_the_same_seed_is_reproducible() -> None:
    one = next_attempt_at(4, NOW, rng=random.Random(7))
    two = next_attempt_at(4, NOW, rng=random.Random(7))
    assert one == two


def test_after_max_attempts_there_is_no_next_attempt() -> None:
    assert next_attempt_at(4, NOW, max_attempts=5) is not None
    assert next_attempt_at(5, NOW, max_attempts=5) is None


def test_zero_attempts_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        next_attempt_at(0, NOW)


def test_a_notice_is_transient_while_any_channel_must_retry() -> None:
    def o(status: Status) -> Outcome:
        return Outcome("1", "email", status, "<m>")

    assert overall([o(Status.FAILED), o(Status.TRANSIENT)]) is Status.TRANSIENT
    assert overall([o(Status.DELIVERED), o(Status.DELIVERED)]) is Status.DELIVERED


def test_custom_base_and_cap_are_honoured() -> None:
    at = next_attempt_at(3, NOW, base=timedelta(seconds=1), cap=timedelta(seconds=3), jitter="none")
    assert at == NOW + timedelta(seconds=3)
