"""The store's tables (SQLAlchemy 2 declarative); migrations/ creates exactly these."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service.domain import DEFAULT_REMINDERS

REMINDERS_DEFAULT_SQL = json.dumps(list(DEFAULT_REMINDERS))

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


TZ = UTCDateTime()


class JsonText(str):
    """A JSON column's value already serialised (by pydantic, say): written as it is."""


def json_serializer(value: Any) -> str:
    """How the engines write JSON columns: a `JsonText` as it is, anything else `json.dumps`."""
    return value if isinstance(value, JsonText) else json.dumps(value)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: TZ}  # noqa: RUF012


class PrincipalRow(Base):
    """A person or team identified by email; holds tokens, owns products, subscribes."""

    __tablename__ = "principals"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime]


class TokenRow(Base):
    """A bearer token, stored only as its sha256 hash."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    principal: Mapped[PrincipalRow] = relationship(lazy="joined")


class ProductRow(Base):
    """A data product: its name, dialect and notice policy (versions hold the schemas)."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    dialect: Mapped[str] = mapped_column(String(40))
    notice_period: Mapped[str] = mapped_column(String(40))
    sunset_period: Mapped[str] = mapped_column(String(40))
    require_distinct_approver: Mapped[bool] = mapped_column(Boolean, default=False)
    defining_sql: Mapped[str | None] = mapped_column(Text)
    reminders: Mapped[list[Any]] = mapped_column(
        JSON, server_default=REMINDERS_DEFAULT_SQL, default=lambda: list(DEFAULT_REMINDERS)
    )
    waive_notice_without_readers: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    slas: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}", default=dict)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    #: Moved by every subscribe and unsubscribe (`queries.subscriptions_changed`): what a
    #: process kept of the product's subscriptions is current while this has not moved.
    subscriptions_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    members: Mapped[list[MemberRow]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="MemberRow.position"
    )


class MemberRow(Base):
    """A principal's role on a product: owner or maintainer."""

    __tablename__ = "product_members"
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    principal: Mapped[PrincipalRow] = relationship(lazy="joined")


class VersionRow(Base):
    """A published version; (product, major, minor, patch) is unique so numbers never repeat."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("product_id", "major", "minor", "patch"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    major: Mapped[int]
    minor: Mapped[int]
    patch: Mapped[int]
    schema_json: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(Text)
    change_request_id: Mapped[int | None] = mapped_column(ForeignKey("change_requests.id"))
    published_at: Mapped[datetime]
    deprecated_at: Mapped[datetime | None]
    sunset_at: Mapped[datetime | None]

    @property
    def version(self) -> str:
        """The semver as text."""
        return f"{self.major}.{self.minor}.{self.patch}"


class SubscriptionRow(Base):
    """A consumer's subscription to a product, with the columns it reads (None: all)."""

    __tablename__ = "subscriptions"
    # Identical subscriptions are refused by the store, not by a read before the write (a race):
    # the fingerprint is `domain.subscription_fingerprint` (NULL on duplicates older than 0008).
    __table_args__ = (
        Index(
            "uq_subscriptions_fingerprint", "product_id", "consumer_id", "fingerprint", unique=True
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    columns: Mapped[list[Any] | None]
    sql: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(40))
    channels: Mapped[list[Any]]
    all_changes: Mapped[bool] = mapped_column(Boolean, default=False)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    consumer: Mapped[PrincipalRow] = relationship(lazy="joined")


class ChangeRequestRow(Base):
    """A proposed schema change. While open it holds one of its product's two slots:
    `open_product_id` (a breaking change) or `compatible_product_id` (a compatible one), so a
    product has at most one of each open at a time."""

    __tablename__ = "change_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    open_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), unique=True)
    compatible_product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id"), unique=True
    )
    state: Mapped[str] = mapped_column(String(20), index=True)
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    schema_json: Mapped[dict[str, Any]]
    renames: Mapped[dict[str, Any]]
    bump: Mapped[str] = mapped_column(String(10))
    breaking: Mapped[bool] = mapped_column(Boolean)
    changes: Mapped[list[Any]]
    impact: Mapped[dict[str, Any]]
    migration: Mapped[dict[str, Any] | None]
    base_version: Mapped[str] = mapped_column(String(40))
    target_version: Mapped[str] = mapped_column(String(40))
    proposer_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="schema", server_default="schema")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012
    product: Mapped[ProductRow] = relationship(foreign_keys=[product_id], lazy="joined")
    proposer: Mapped[PrincipalRow] = relationship(foreign_keys=[proposer_id], lazy="joined")
    approver: Mapped[PrincipalRow | None] = relationship(foreign_keys=[approver_id], lazy="joined")


class AcknowledgementRow(Base):
    """A consumer's acknowledgement of a change request (once per consumer)."""

    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("change_request_id", "consumer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(ForeignKey("change_requests.id"), index=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    created_at: Mapped[datetime]
    consumer: Mapped[PrincipalRow] = relationship(lazy="joined")


class CommentRow(Base):
    """A comment on a change request by anyone signed in; never edited."""

    __tablename__ = "change_request_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(ForeignKey("change_requests.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    author: Mapped[PrincipalRow] = relationship(lazy="joined")


class NoticeRow(Base):
    """The outbox: one notice to one recipient, written with the state change that causes it."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(ForeignKey("change_requests.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    recipient: Mapped[str] = mapped_column(String(2000))
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    delivered_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)  # a comment, or a decision's reason
    note_author: Mapped[str | None] = mapped_column(String(320))


#: the `Session.info` key saying a notice batch was written in the session's transaction
NOTICE_BATCHES = "steward.notice_batches"


class NoticeBatchRow(Base):
    """Notices to many recipients, queued as one row: the outbox rows it stands for are written
    (`outbox.expand`) after the operation's answer, by the API process or the scheduler,
    with the Message-IDs that writing them at once would have given."""

    __tablename__ = "notice_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(ForeignKey("change_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    #: the random part of its notices' Message-IDs (`<BATCH.N.crID.KIND@steward>`)
    batch: Mapped[str] = mapped_column(String(40))
    #: `[[principal id or null, address, channel], ...]`, JSON, in Message-ID order
    recipients: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    note_author: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime]


class LineageSourceRow(Base):
    """A lineage input kept for start-up: view SQL, a dbt manifest or an OpenLineage event."""

    __tablename__ = "lineage_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(500))
    dialect: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class AuditRow(Base):
    """Append-only audit log: who did what, when, with the state before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(TZ, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
