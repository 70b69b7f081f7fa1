"""Rendering every kind of notice, as text and as HTML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifications.message import ACKNOWLEDGEABLE, AffectedChange, Kind
from notifications.render import build_email, render_html, render_text, subject
from notifications.sample import sample_message

KINDS = list(Kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("render", [render_text, render_html])
def test_every_kind_names_product_versions_dates_changes_and_columns(kind, render) -> None:  # type: ignore[no-untyped-def]
    message = sample_message(1, kind)
    body = render(message)
    for expected in (
        "sales.orders",
        "1.4.0",
        "2.0.0",
        "2026-01-05T09:00:00Z",
        "2026-02-04T09:00:00Z",
        "2026-05-05T09:00:00Z",
        "sales.orders.amount",
        "larger values no longer fit",
        "sales.orders.customer_ref",
        "queries that select it will fail",
        "analytics.daily_revenue.amount",
        "analytics.customer_orders.customer_ref",
        "What to do",
    ):
        assert expected in body, f"{kind} {render.__name__} lacks {expected!r}"
    acknowledge = "https://steward.example.com/notices/1/acknowledge"
    assert (acknowledge in body) is (kind in ACKNOWLEDGEABLE), kind  # no link once it is live


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_says_something_of_its_own(kind: Kind) -> None:
    texts = {k: render_text(sample_message(1, k)) for k in Kind}
    others = [t for k, t in texts.items() if k is not kind]
    assert all(texts[kind] != other for other in others)
    assert subject(sample_message(1, kind)) not in {
        subject(sample_message(1, k)) for k in Kind if k is not kind
    }


def test_html_escapes_markup_in_column_names_and_reasons() -> None:
    change = AffectedChange("t", "a<b", "column_removed", "breaking", "a<b & c is gone")
    message = sample_message(1, changes=(change,), touched=("v.<script>x</script>",))
    html = render_html(message)
    assert "t.a&lt;b" in html
    assert "a&lt;b &amp; c is gone" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "v.<script>x</script>" in render_text(message)


def test_a_proposal_without_dates_yet_says_the_date_is_not_set() -> None:
    message = sample_message(1, Kind.PROPOSED, effective_at=None, sunset_at=None)
    assert "not yet set" in render_text(message)
    assert "not yet set" in render_html(message)
    assert "on a date to come" not in subject(message)


def test_a_notice_with_no_reaching_change_says_so() -> None:
    message = sample_message(1, changes=(), touched=())
    text = render_text(message)
    assert "none of the changes reach what you read" in text
    assert "(none recorded)" in text


def test_dates_in_other_zones_are_shown_in_utc() -> None:
    from datetime import timedelta, timezone

    paris = timezone(timedelta(hours=1))
    message = sample_message(1, effective_at=datetime(2026, 2, 4, 10, 0, tzinfo=paris))
    assert "2026-02-04T09:00:00Z" in render_text(message)


def test_the_email_has_both_parts_and_every_header() -> None:
    now = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    email = build_email(sample_message(12), sender="steward@example.com", now=now)
    assert email.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]
    assert email["Message-ID"] == "<notice-12@steward.example.com>"
    assert email["From"] == "steward@example.com"
    assert email["To"] == "analytics-team@example.com"
    assert email["Date"] == "Tue, 06 Jan 2026 08:00:00 +0000"
    assert email["Subject"] == subject(sample_message(12))


def test_an_explicit_subject_wins() -> None:
    message = sample_message(1, subject="Heads up")
    assert build_email(message, sender="s@example.com")["Subject"] == "Heads up"


def test_building_an_email_for_a_webhook_only_message_is_refused() -> None:
    message = sample_message(1, recipient_email=None, webhook_url="http://h", webhook_secret="s")
    with pytest.raises(ValueError, match="no email recipient"):
        build_email(message, sender="s@example.com")


def test_non_ascii_names_and_long_subjects_survive_the_round_trip() -> None:
    from email import message_from_bytes
    from email.policy import default

    message = sample_message(
        1,
        recipient_email="zoë@example.com",
        subject="Änderung an ventes.commandes: " + "x" * 80,
        touched=("ventes.commandes.prix_unitaire_€",),
    )
    raw = build_email(message, sender="Steward <steward@example.com>").as_bytes()
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == message.subject
    assert parsed["To"] == "zoë@example.com"
    assert "prix_unitaire_€" in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "prix_unitaire_€" in parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_a_line_break_in_a_header_value_is_refused() -> None:
    message = sample_message(1, subject="hi\r\nBcc: everyone@example.com")
    with pytest.raises(ValueError, match="line break"):
        build_email(message, sender="s@example.com")


def test_a_long_ascii_subject_is_folded_and_reads_back_whole() -> None:
    from email import message_from_bytes
    from email.policy import default

    long_subject = "Heads up: " + " ".join(f"word{i}" for i in range(40))
    raw = build_email(sample_message(1, subject=long_subject), sender="s@example.com").as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert message_from_bytes(raw, policy=default)["Subject"] == long_subject


def test_the_migration_path_is_shown_with_the_recipients_sql_escaped_in_html() -> None:
    from dataclasses import replace

    from notifications.message import SqlRewrite, ViewNote

    message = replace(
        sample_message(1, Kind.DEPRECATION),
        views=(
            ViewNote("sales.orders", "sales.orders_v1", "CREATE VIEW sales.orders_v1 AS\nSELECT 1",
                     ("column note was removed",)),
        ),
        rewrites=(
            SqlRewrite("subscription 4", "rewritten", "SELECT total AS amount\nWHERE total < 5"),
            SqlRewrite("subscription 5", "breaks", None, ("line 2: note: removed",)),
        ),
    )  # fmt: skip
    text, html = render_text(message), render_html(message)
    assert "    SELECT total AS amount\n    WHERE total < 5" in text
    assert "breaks at line 2: note: removed" in text and "sales.orders_v1:" in text
    assert "note: column note was removed" in text
    assert "WHERE total &lt; 5" in html and "<li>breaks at line 2: note: removed</li>" in html
    plain = render_text(sample_message(1, Kind.DEPRECATION))
    assert "Compatibility views" not in plain and "Your SQL" not in plain


def test_a_webhook_carries_the_migration_path() -> None:
    from dataclasses import replace

    from notifications.message import SqlRewrite, ViewNote
    from notifications.webhook import payload

    message = replace(
        sample_message(1, Kind.MIGRATION),
        views=(ViewNote("sales.orders", "sales.orders_v1", "CREATE VIEW ..."),),
        rewrites=(SqlRewrite("subscription 4", "breaks", None, ("line 2: note: removed",)),),
    )
    body = payload(message, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert body["compatibility_views"] == [
        {
            "table": "sales.orders",
            "name": "sales.orders_v1",
            "sql": "CREATE VIEW ...",
            "warnings": [],
        }
    ]
    assert body["rewrites"] == [
        {"subscription": "subscription 4", "status": "breaks", "sql": None,
         "breaks": ["line 2: note: removed"]}
    ]  # fmt: skip
