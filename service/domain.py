"""Steward's domain values: principals, products, versions, subscriptions, change requests."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from service.errors import InvalidInput
from service.impact import Impact

_DURATION = TypeAdapter(timedelta)


#: C0 control characters but tab, newline, carriage return and form feed, and DEL: no text
#: field takes them (PostgreSQL refuses NUL; the rest only hides what a text says).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
#: An email address as every door takes it (API bodies and queries, the CLI, the store).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"
MAX_EMAIL = 320
MAX_PRINCIPAL_NAME = 200
_EMAIL = re.compile(EMAIL_PATTERN)


def printable(value: str) -> str:
    """The text, unless it holds a control character (the error names which and where).

    >>> printable("a\\tb")
    'a\\tb'
    >>> printable("a\\x00b")
    Traceback (most recent call last):
    ...
    ValueError: contains the control character U+0000 at position 1
    """
    found = CONTROL.search(value)
    if found:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at position {found.start()}"
        )
    return value


def email_address(value: str) -> str:
    """The email address, if it is one by Steward's one rule (ValueError saying why not).

    >>> email_address("ada@example.com")
    'ada@example.com'
    >>> email_address("nobody")
    Traceback (most recent call last):
    ...
    ValueError: not an email address: 'nobody'
    """
    printable(value)
    if len(value) > MAX_EMAIL:
        raise ValueError(f"an email address has at most {MAX_EMAIL} characters")
    if not _EMAIL.match(value):
        raise ValueError(f"not an email address: {value!r}")
    return value


def principal_name(value: str) -> str:
    """A principal's display name: printable, at most MAX_PRINCIPAL_NAME characters."""
    printable(value)
    if len(value) > MAX_PRINCIPAL_NAME:
        raise ValueError(f"a name has at most {MAX_PRINCIPAL_NAME} characters")
    return value


_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def parse_duration(text: str, *, field: str = "duration") -> timedelta:
    """An ISO 8601 duration (`P14D`, `PT12H`, `P1M` = 30 days) as a timedelta, never negative.

    >>> parse_duration("P14D").days
    14
    """
    if not text.startswith("P"):
        raise InvalidInput(
            f"{field} must be an ISO 8601 duration such as P14D", field=field, value=text
        )
    try:
        value = _DURATION.validate_python(text)
    except ValidationError as exc:
        raise InvalidInput(
            f"{field} is not an ISO 8601 duration: {text!r}", field=field, value=text
        ) from exc
    return value


DEFAULT_REMINDERS = ("P7D", "P1D")
MAX_REMINDERS = 10
_MAX_REMINDER = timedelta(days=3650)


def parse_reminders(
    values: list[str] | tuple[str, ...], *, field: str = "reminders"
) -> tuple[str, ...]:
    """Reminder offsets before a deadline: positive whole-second ISO 8601 durations, no repeats.

    >>> parse_reminders(["P2D", "PT1H"])
    ('P2D', 'PT1H')
    """
    if len(values) > MAX_REMINDERS:
        raise InvalidInput(f"{field} takes at most {MAX_REMINDERS} durations", field=field)
    seen: dict[timedelta, str] = {}
    for text in values:
        ahead = parse_duration(text, field=field)
        if ahead <= timedelta(0) or ahead > _MAX_REMINDER:
            raise InvalidInput(
                f"{field} must be longer than zero and at most 3650 days: {text!r}",
                field=field,
                value=text,
            )
        if ahead.microseconds:
            raise InvalidInput(f"{field} must be whole seconds: {text!r}", field=field, value=text)
        if ahead in seen:
            raise InvalidInput(
                f"{field} repeats a duration: {seen[ahead]!r} and {text!r}",
                field=field,
                value=text,
            )
        seen[ahead] = text
    return tuple(values)


def reminder_label(ahead: timedelta) -> str:
    """A reminder's mark label: whole days as `7d` (the labels written before reminders were
    configurable), anything else in seconds (`3600s`).

    >>> reminder_label(parse_duration("PT168H")), reminder_label(parse_duration("PT1H"))
    ('7d', '3600s')
    """
    if ahead.seconds == 0 and ahead.microseconds == 0:
        return f"{ahead.days}d"
    return f"{int(ahead.total_seconds())}s"


@dataclass(frozen=True, slots=True, order=True)
class SemVer:
    """A semantic version number (major.minor.patch), ordered numerically."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> SemVer:
        """Read `1.2.3`; anything else is invalid input.

        >>> SemVer.parse("1.10.0") > SemVer.parse("1.9.3")
        True
        """
        match = _SEMVER.match(text)
        if match is None:
            raise InvalidInput(f"not a semantic version: {text!r}", field="version", value=text)
        return cls(int(match[1]), int(match[2]), int(match[3]))

    def bump(self, kind: str) -> SemVer:
        """The next version for a `major`, `minor` or `patch` bump.

        >>> str(SemVer(1, 2, 3).bump("minor"))
        '1.3.0'
        """
        if kind == "major":
            return SemVer(self.major + 1, 0, 0)
        if kind == "minor":
            return SemVer(self.major, self.minor + 1, 0)
        return SemVer(self.major, self.minor, self.patch + 1)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


class Role(StrEnum):
    """What a principal is to one product."""

    OWNER = "owner"
    MAINTAINER = "maintainer"


class State(StrEnum):
    """The states of a change request."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    RELEASED = "released"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


SCHEMA_CHANGE = "schema"
RETIREMENT = "retirement"

OPEN_STATES = frozenset({State.PROPOSED, State.APPROVED, State.SCHEDULED})


class NoticeKind(StrEnum):
    """Why a notice is sent."""

    PROPOSED = "proposed"
    DEPRECATION = "deprecation"
    REMINDER = "reminder"
    MIGRATION = "migration"
    SUNSET = "sunset"
    RELEASED = "released"
    REVIEW = "review"  # to owners and maintainers: a proposal awaits their decision
    DECISION = "decision"  # to the proposer: approved, rejected or withdrawn (with the reason)
    COMMENT = "comment"  # to the participants of a change request


class NoticeState(StrEnum):
    """Where a notice is on its way out of the outbox."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Principal:
    """Someone holding tokens: a person or team, identified by email."""

    id: int
    email: str
    name: str | None = None
    is_admin: bool = False
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class Version:
    """One published version of a product: its semver and schema, with its dates."""

    version: str
    schema: dict[str, Any]
    source: str
    published_at: datetime
    deprecated_at: datetime | None = None
    sunset_at: datetime | None = None
    change_request_id: int | None = None


@dataclass(frozen=True, slots=True)
class Product:
    """A governed table or view set with owners, a dialect, a notice policy and versions."""

    id: int
    name: str
    description: str
    dialect: str
    owners: tuple[str, ...]
    maintainers: tuple[str, ...]
    notice_period: str
    sunset_period: str
    require_distinct_approver: bool
    defining_sql: str | None
    current_version: str
    created_at: datetime
    reminders: tuple[str, ...] = DEFAULT_REMINDERS
    waive_notice_without_readers: bool = False
    slas: tuple[tuple[str, str], ...] = ()  # (name, promise) pairs, e.g. ("freshness", "PT1H")
    retired_at: datetime | None = None


T = TypeVar("T")
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: at most `limit` items after the key `after` (None: from the start)."""

    limit: int = 100
    after: str | int | None = None


@dataclass(frozen=True, slots=True)
class Paged(Generic[T]):
    """A page of items and the key to continue after (None: this was the last page)."""

    items: list[T]
    next_after: str | int | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The CI gate's answer: pass or not, why, and the change request and date that decide it."""

    passed: bool
    verdict: str  # current | compatible | approved | waiting | awaiting_approval | unannounced
    message: str
    product: str
    current_version: str
    diff: dict[str, Any]
    change_request: int | None = None
    effective_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Me:
    """The current principal's own view: who they are and what they hold."""

    email: str
    name: str | None
    is_admin: bool
    owner_of: tuple[str, ...]
    maintainer_of: tuple[str, ...]
    subscribed_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as its holder sees it: never the secret, only when it was made and ends."""

    id: int
    email: str
    name: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def masked(channel: str) -> str:
    """A channel as shown to anyone but its consumer: a webhook URL keeps only scheme and host
    (secrets often live in its path or query); `email` stays.

    >>> masked("https://hooks.example.com:8443/services/T0/B0/s3cret?token=x"), masked("email")
    ('https://hooks.example.com:8443/…', 'email')
    """
    scheme, sep, rest = channel.partition("://")
    if not sep:
        return channel
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…"


def subscription_fingerprint(
    columns: list[str] | None,
    sql: str | None,
    version: str | None,
    channels: list[str],
    all_changes: bool,
) -> str:
    """What makes two subscriptions of one consumer to one product identical, as a digest:
    the columns read (None: all), the SQL, the version, the channels and `all_changes`, each
    exactly as stored. The store keeps (product, consumer, fingerprint) unique.

    >>> subscription_fingerprint(["shop.orders.amount"], None, None, ["email"], False)[:12]
    'bcbf0aef65ff'
    """
    canonical = json.dumps(
        [columns, sql, version, channels, all_changes], separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Subscription:
    """A consumer's interest in a product: the columns it reads (None: all of them)."""

    id: int
    product: str
    consumer_id: int
    consumer_email: str
    columns: tuple[str, ...] | None
    sql: str | None
    version: str | None
    channels: tuple[str, ...]
    all_changes: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """A proposed new schema for a product with its changes, impact, state and dates."""

    id: int
    product: str
    state: State
    summary: str
    bump: str
    #: Some change breaks readers; `unknown`: some change cannot be decided (as `POST /diff`).
    breaking: bool
    unknown: bool
    base_version: str
    target_version: str
    changes: list[dict[str, Any]]
    impact: Impact
    proposer: str
    approver: str | None
    created_at: datetime
    decided_at: datetime | None
    released_at: datetime | None
    earliest_effective_at: datetime | None
    acknowledged_by: tuple[str, ...]
    awaiting_acknowledgement: tuple[str, ...]
    source: str
    decision_reason: str | None = None
    waive_notice_without_readers: bool = False
    kind: str = "schema"  # or "retirement": the whole product is retired, announced the same way

    #: The compatibility views and the expand/contract alternative (None before 0007).
    migration: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on a change request."""

    id: int
    change_request_id: int
    author: str
    body: str
    created_at: datetime
