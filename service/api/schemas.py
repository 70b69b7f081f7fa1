"""Request and response models of the HTTP API (never ORM rows); requests are strict."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from service.domain import (
    DEFAULT_REMINDERS,
    EMAIL_PATTERN,
    MAX_EMAIL,
    MAX_REMINDERS,
    email_address,
    parse_duration,
    parse_reminders,
    printable,
)
from service.errors import InvalidInput
from service.impact import Impact

#: Bounds of the free-text fields (schema and SQL texts are bounded in bytes by the settings).
MAX_SUMMARY = 10_000
MAX_ITEMS = 1_000
MAX_CHANNELS = 10
MAX_URL = 2_000
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$"


Clean = AfterValidator(printable)
Email = Annotated[
    str, Field(pattern=EMAIL_PATTERN, max_length=MAX_EMAIL), AfterValidator(email_address)
]
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Text = Annotated[str, Field(min_length=1), Clean]
Line = Annotated[str, Field(min_length=1, max_length=500), Clean]
Summary = Annotated[str, Field(min_length=1, max_length=MAX_SUMMARY), Clean]
Channel = Annotated[str, Field(min_length=1, max_length=MAX_URL), Clean]
Renames = dict[Line, Line]
Id = Annotated[int, Path(ge=1, le=2**53, description="A numeric id.")]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refused as input, never a 500
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
    waive_notice_without_readers: bool = Field(
        default=False,
        description="Let a breaking change that reaches no known reader take effect on approval "
        "instead of waiting its notice period.",
    )
    sql: Text | None = None
    reminders: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REMINDERS),
        max_length=MAX_REMINDERS,
        description="When to remind before each deadline: distinct positive ISO 8601 durations.",
    )

    _check_notice = field_validator("notice_period", "sunset_period")(_duration)
    _check_reminders = field_validator("reminders")(_reminders)


class ProductPatch(Strict):
    """Change a product: only the fields given change."""

    description: Annotated[str, Field(max_length=10_000, pattern=NO_NUL)] | None = None
    owners: list[Email] | None = Field(default=None, min_length=1)
    maintainers: list[Email] | None = None
    notice_period: str | None = None
    sunset_period: str | None = None
    reminders: list[str] | None = Field(default=None, max_length=MAX_REMINDERS)
    require_distinct_approver: bool | None = None
    waive_notice_without_readers: bool | None = None
    slas: (
        dict[
            Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)],
            Annotated[str, Field(max_length=500, pattern=NO_NUL)],
        ]
        | None
    ) = Field(
        default=None,
        max_length=50,
        description='Service levels promised, by name, e.g. {"freshness": "PT1H"}.',
    )

    @field_validator("notice_period", "sunset_period")
    @classmethod
    def _check_period(cls, value: str | None) -> str | None:
        return _duration(value) if value is not None else None

    @field_validator("reminders")
    @classmethod
    def _check_reminder_list(cls, value: list[str] | None) -> list[str] | None:
        return _reminders(value) if value is not None else None


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


class DecisionIn(Strict):
    """An optional reason given with approve, reject or withdraw (kept, audited, told)."""

    reason: Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)] | None = None


class CommentIn(Strict):
    """A comment on a change request."""

    body: Annotated[str, Field(min_length=1, max_length=10_000, pattern=NO_NUL)]


class CheckIn(Strict):
    """A schema a CI pipeline wants to ship for a product."""

    schema_: Text = Field(alias="schema")
    renames: dict[str, Text] | None = None


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
    waive_notice_without_readers: bool
    slas: dict[str, str]
    retired_at: datetime | None

    @field_validator("slas", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        return dict(value) if isinstance(value, tuple) else value


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


class ViewOut(BaseModel):
    """A compatibility view: the old version's shape of one table over the new one."""

    table: str
    name: str
    sql: str
    warnings: list[str]


class AmendmentOut(BaseModel):
    """One amendment of the expand/contract alternative and its contract step."""

    table: str
    column: str | None
    note: str
    contract: str


class AlternativeOut(BaseModel):
    """The proposed schema amended so that it breaks no reader."""

    model_config = ConfigDict(populate_by_name=True)
    schema_: str = Field(alias="schema", serialization_alias="schema")
    notes: list[AmendmentOut]


class BreakOut(BaseModel):
    """Where a consumer's SQL breaks: line, the column as written, and why."""

    line: int | None
    column: str
    reason: str


class ConsumerMigrationOut(BaseModel):
    """A subscription's SQL rewritten for the new schema, unchanged, or where it breaks."""

    subscription: int
    consumer: str
    status: str
    sql: str | None
    breaks: list[BreakOut]


class MigrationSummaryOut(BaseModel):
    """The compatibility views and the expand/contract alternative of a change request."""

    compatibility_views: list[ViewOut]
    alternative: AlternativeOut | None


class MigrationOut(MigrationSummaryOut):
    """The whole migration path: changes, views, alternative, each subscription's SQL."""

    changes: list[dict[str, Any]]
    consumers: list[ConsumerMigrationOut]


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
    decision_reason: str | None
    waive_notice_without_readers: bool
    kind: str

    migration: MigrationSummaryOut | None = None


class CommentOut(Out):
    """A comment on a change request."""

    id: int
    change_request_id: int
    author: str
    body: str
    created_at: datetime


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


class MeOut(Out):
    """The current principal."""

    email: str
    name: str | None
    is_admin: bool
    owner_of: list[str]
    maintainer_of: list[str]
    subscribed_to: list[str]


class TokenOut(Out):
    """A token's record (never its secret)."""

    id: int
    email: str
    name: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class CheckOut(Out):
    """The CI gate's answer (see `steward check`)."""

    passed: bool
    verdict: str
    message: str
    product: str
    current_version: str
    diff: dict[str, Any]
    change_request: int | None
    effective_at: datetime | None
