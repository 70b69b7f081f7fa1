"""A realistic sample message, for previews, demos, tests and benchmarks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from notifications.message import AffectedChange, Kind, Message, message_id


def sample_message(
    notice_id: str | int = 1, kind: Kind = Kind.DEPRECATION, **overrides: Any
) -> Message:
    """A deprecation-style message about `sales.orders` 1.4.0 -> 2.0.0; fields can be overridden.

    >>> sample_message(3, Kind.SUNSET).message_id
    '<notice-3@steward.example.com>'
    """
    message = Message(
        notice_id=str(notice_id),
        kind=kind,
        product="sales.orders",
        old_version="1.4.0",
        new_version="2.0.0",
        message_id=message_id(notice_id, "steward.example.com"),
        acknowledge_url=f"https://steward.example.com/notices/{notice_id}/acknowledge",
        recipient_email="analytics-team@example.com",
        recipient_name="Analytics team",
        changes=(
            AffectedChange(
                "sales.orders",
                "amount",
                "column_type_narrowed",
                "breaking",
                "amount narrows from DECIMAL(12,2) to DECIMAL(10,2): larger values no longer fit.",
                "DECIMAL(12,2)",
                "DECIMAL(10,2)",
            ),
            AffectedChange(
                "sales.orders",
                "customer_ref",
                "column_removed",
                "breaking",
                "customer_ref is removed: queries that select it will fail.",
                "VARCHAR(40)",
                None,
            ),
        ),
        touched=("analytics.daily_revenue.amount", "analytics.customer_orders.customer_ref"),
        proposed_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        effective_at=datetime(2026, 2, 4, 9, 0, tzinfo=UTC),
        sunset_at=datetime(2026, 5, 5, 9, 0, tzinfo=UTC),
    )
    return replace(message, **overrides) if overrides else message
