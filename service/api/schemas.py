"""Request and response models of the HTTP API (never ORM rows); requests are strict."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from service.domain import DEFAULT_REMINDERS, MAX_REMINDERS, parse_duration, parse_reminders
from service.errors import InvalidInput
from service.impact import Impact

#: C0 control characters but tab, newline, carriage return and form feed, and DEL: no text
#: field takes them (PostgreSQL refuses NUL; the rest only hides what a text says).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
#: Bounds of the free-text fields (schema and SQL texts are bounded in bytes by the settings).
MAX_SUMMARY = 10_000
MAX_ITEMS = 1_000
MAX_CHANNELS = 10
MAX_URL = 2_000
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$"


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


Clean = AfterValidator(printable)
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320), Clean]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Text = Annotated[str, Field(min_length=1), Clean]
Line = Annotated[str, Field(min_length=1, max_length=500), Clean]
Summary = Annotated[str, Field(min_length=1, max_length=MAX_SUMMARY), Clean]
Channel = Annotated[str, Field(min_length=1, max_length=MAX_URL), Clean]
Renames = dict[Line, Line]
Id = Annotated[int, Path(ge=1, le=2**53, description="A numeric id.")]
ProductName = Annotated[str, Path(pattern=NAME_PATTERN, description="A product's name.")]
ProductFilter = Annotated[str | None, Query(pattern=NAME_PATTERN, description="A product's name.")]


class Strict(BaseModel):
    """Base of request bodies: strict types (`false` is no duration), no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


def _duration(value: str) -> str:
    try:
        parse_duration(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc
    return value


def _reminders(value: list[str]) -> list[str]:
    try:
        parse_reminders(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc
    return value


class ProductIn(Strict):
    """Register a product: owners by email, the schema as DDL text or an ODCS YAML contract."""

    name: Name
    description: Annotated[str, Field(max_length=MAX_SUMMARY), Clean] = ""
    owners: list[Email] = Field(min_length=1, max_length=100)
    maintainers: list[Email] = Field(default_factory=list, max_length=100)
    dialect: Annotated[str, Field(min_length=1, max_length=40)]
    schema_: Text = Field(alias="schema")
    notice_period: str = "P14D"
    sunset_period: str = "P30D"
    require_distinct_approver: bool = False
    sql: Text | None = None
    reminders: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REMINDERS),
        max_length=MAX_REMINDERS,
        description="When to remind before each deadline: distinct positive ISO 8601 durations.",
    )

    _check_notice = field_validator("notice_period", "sunset_period")(_duration)
    _check_reminders = field_validator("reminders")(_reminders)


class SubscriptionIn(Strict):
    """Subscribe: the columns read (or SQL, from which they are learnt), version, channels."""

    columns: Annotated[list[Line], Field(max_length=MAX_ITEMS)] | None = None
    sql: Text | None = None
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$", max_length=40)] | None = None
    channels: Annotated[list[Channel], Field(max_length=MAX_CHANNELS)] | None = None
    all_changes: bool = False


class ChangeRequestIn(Strict):
    """Propose a new schema for a product."""

    schema_: Text = Field(alias="schema")
    renames: Annotated[Renames, Field(max_length=MAX_ITEMS)] | None = None
    summary: Summary


class DiffIn(Strict):
    """Two schema texts to compare (stateless)."""

    old: Text
    new: Text
    dialect: Annotated[str, Field(min_length=1, max_length=40)]
    renames: Annotated[Renames, Field(max_length=MAX_ITEMS)] | None = None


class LineageSqlIn(Strict):
    """A view (or any object) defined by SQL: its name, its SELECT and the dialect."""

    name: Name
    sql: Text
    dialect: Annotated[str, Field(min_length=1, max_length=40)]


class ErrorBody(BaseModel):
    """The error object."""

    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorOut(BaseModel):
    """Every error response: `{"error": {"code", "message", "details"}}`."""

    error: ErrorBody


class Out(BaseModel):
    """Base of responses, built from domain values."""

    model_config = ConfigDict(from_attributes=True)


class ProductOut(Out):
    """A product."""

    name: str
    description: str
    dialect: str
    owners: list[str]
    maintainers: list[str]
    notice_period: str
    sunset_period: str
    require_distinct_approver: bool
    defining_sql: str | None
    current_version: str
    created_at: datetime
    reminders: list[str]


class VersionOut(Out):
    """A version of a product."""

    version: str
    published_at: datetime
    deprecated_at: datetime | None
    sunset_at: datetime | None
    change_request_id: int | None


class VersionDetailOut(VersionOut):
    """A version with its schema as JSON and as DDL in the product's dialect."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema")
    ddl: str
    source: str


class SubscriptionOut(Out):
    """A subscription."""

    id: int
    product: str
    consumer_email: str
    columns: list[str] | None
    sql: str | None
    version: str | None
    channels: list[str]
    all_changes: bool
    created_at: datetime


class ChangeRequestOut(Out):
    """A change request with its changes, impact, state and dates."""

    id: int
    product: str
    state: str
    summary: str
    bump: str
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
    acknowledged_by: list[str]
    awaiting_acknowledgement: list[str]


class AuditOut(Out):
    """One audit record."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class LineageOut(Out):
    """A stored lineage input."""

    id: int
    kind: str
    name: str | None
