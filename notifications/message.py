"""The message a notice carries and the outcome of delivering it: plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache


class Kind(StrEnum):
    """What a notice announces; each kind has a text and an HTML template."""

    PROPOSED = "proposed"
    DEPRECATION = "deprecation"
    REMINDER = "reminder"
    MIGRATION = "migration"
    SUNSET = "sunset"
    RELEASED = "released"
    DELIVERY_FAILED = "delivery_failed"
    REVIEW = "review"
    DECISION = "decision"
    COMMENT = "comment"


ACKNOWLEDGEABLE = frozenset({Kind.PROPOSED, Kind.DEPRECATION, Kind.REMINDER})


class Status(StrEnum):
    """How one delivery attempt ended."""

    DELIVERED = "delivered"
    TRANSIENT = "transient"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AffectedChange:
    """One change that reaches this consumer, with the reason a consumer understands."""

    table: str
    column: str | None
    kind: str
    verdict: str
    reason: str
    before: str | None = None
    after: str | None = None

    @property
    def target(self) -> str:
        """`table.column`, or the table alone for table-level changes."""
        return f"{self.table}.{self.column}" if self.column else self.table


@dataclass(frozen=True, slots=True)
class ViewNote:
    """A compatibility view: deploy it, and queries of the old version keep working."""

    table: str
    name: str
    sql: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SqlRewrite:
    """The recipient's own registered SQL: rewritten for the new version, or where it breaks."""

    subscription: str
    status: str  # unchanged | rewritten | breaks
    sql: str | None = None
    breaks: tuple[str, ...] = ()  # "line 3: o.note: why"


@dataclass(frozen=True, slots=True)
class Message:
    """Everything one notice to one recipient says, independent of how it travels."""

    notice_id: str
    kind: Kind
    product: str
    old_version: str
    new_version: str
    message_id: str
    acknowledge_url: str
    recipient_email: str | None = None
    recipient_name: str = ""
    webhook_url: str | None = None
    webhook_secret: str | None = None
    changes: tuple[AffectedChange, ...] = ()
    touched: tuple[str, ...] = ()
    proposed_at: datetime | None = None
    effective_at: datetime | None = None
    sunset_at: datetime | None = None
    subject: str = ""
    failure: str = ""
    note: str = ""  # a comment's text, or the reason given with a decision
    note_author: str = ""
    outcome: str = ""  # what was decided: approved, rejected, withdrawn
    change_request_url: str = ""
    views: tuple[ViewNote, ...] = ()
    rewrites: tuple[SqlRewrite, ...] = ()

    @property
    def acknowledgeable(self) -> bool:
        """Whether acknowledging still means something: before the change takes effect."""
        return self.kind in ACKNOWLEDGEABLE

    def __post_init__(self) -> None:
        if not self.recipient_email and not self.webhook_url:
            raise ValueError(f"notice {self.notice_id} has neither an email nor a webhook URL")
        if self.webhook_url and not self.webhook_secret:
            raise ValueError(f"notice {self.notice_id} has a webhook URL but no secret")
        for name in ("proposed_at", "effective_at", "sunset_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"notice {self.notice_id}: {name} must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of delivering one message over one channel (`email` or `webhook`)."""

    notice_id: str
    channel: str
    status: Status
    message_id: str
    detail: str = ""
    code: int | None = None


def message_id(notice_id: str | int, domain: str) -> str:
    """The Message-ID of a notice: the same on every retry, so a receiver can spot a duplicate.

    >>> message_id(42, "steward.example.com")
    '<notice-42@steward.example.com>'
    """
    if not domain or any(c in domain for c in "<>@ \r\n"):
        raise ValueError(f"not a usable Message-ID domain: {domain!r}")
    return f"<notice-{notice_id}@{domain}>"


@lru_cache(maxsize=4096)
def iso_utc(moment: datetime) -> str:
    """A moment as ISO 8601 in UTC with a `Z` suffix, the one date format notices use.

    >>> from datetime import timezone, timedelta
    >>> iso_utc(datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1))))
    '2026-03-01T09:30:00Z'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
