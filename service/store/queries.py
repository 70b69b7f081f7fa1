"""Loading and saving rows; never commits (the caller's one transaction does)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.diff import Verdict, decide_verdicts
from service.domain import (
    ChangeRequest,
    Principal,
    Product,
    Role,
    State,
    Subscription,
    Version,
)
from service.errors import NotFound
from service.impact import Impact
from service.store.tables import (
    AcknowledgementRow,
    AuditRow,
    ChangeRequestRow,
    NoticeRow,
    PrincipalRow,
    ProductRow,
    SubscriptionRow,
    TokenRow,
    VersionRow,
)


def hash_token(token: str) -> str:
    """The sha256 hex digest under which a bearer token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def principal_for_token(session: Session, token: str) -> PrincipalRow | None:
    """The principal holding this (unrevoked) token, or None."""
    row = session.scalars(
        select(TokenRow).where(
            TokenRow.token_hash == hash_token(token), TokenRow.revoked_at.is_(None)
        )
    ).first()
    return row.principal if row else None


def principal_by_email(session: Session, email: str) -> PrincipalRow | None:
    """The principal with this email (case-insensitive), or None."""
    return session.scalars(
        select(PrincipalRow).where(func.lower(PrincipalRow.email) == email.lower())
    ).first()


def ensure_principal(session: Session, email: str, now: datetime) -> PrincipalRow:
    """The principal with this email, created (without tokens) if new."""
    row = principal_by_email(session, email)
    if row is None:
        row = PrincipalRow(email=email, is_admin=False, created_at=now)
        session.add(row)
        session.flush()
    return row


def product_row(session: Session, name: str, *, for_update: bool = False) -> ProductRow:
    """The product with this name; `for_update` locks its row (PostgreSQL) for one writer."""
    query = select(ProductRow).where(ProductRow.name == name)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"no product named {name!r}", product=name)
    return row


def roles_on(product: ProductRow, principal_id: int) -> set[str]:
    """The roles (owner, maintainer) a principal holds on a product."""
    return {m.role for m in product.members if m.principal_id == principal_id}


def version_rows(session: Session, product_id: int) -> Sequence[VersionRow]:
    """A product's versions, oldest first."""
    return session.scalars(
        select(VersionRow)
        .where(VersionRow.product_id == product_id)
        .order_by(VersionRow.major, VersionRow.minor, VersionRow.patch)
    ).all()


def current_version_row(session: Session, product_id: int) -> VersionRow:
    """A product's newest published version."""
    row = session.scalars(
        select(VersionRow)
        .where(VersionRow.product_id == product_id)
        .order_by(VersionRow.major.desc(), VersionRow.minor.desc(), VersionRow.patch.desc())
        .limit(1)
    ).first()
    if row is None:  # every product is created with 1.0.0
        raise NotFound("product has no version", product_id=product_id)
    return row


def current_version_number(session: Session, product_id: int) -> str:
    """A product's newest version number, without loading its schema."""
    row = session.execute(
        select(VersionRow.major, VersionRow.minor, VersionRow.patch)
        .where(VersionRow.product_id == product_id)
        .order_by(VersionRow.major.desc(), VersionRow.minor.desc(), VersionRow.patch.desc())
        .limit(1)
    ).first()
    if row is None:  # every product is created with 1.0.0
        raise NotFound("product has no version", product_id=product_id)
    return f"{row[0]}.{row[1]}.{row[2]}"


def current_versions(session: Session, product_ids: Sequence[int]) -> dict[int, VersionRow]:
    """The newest version of each of these products."""
    best: dict[int, VersionRow] = {}
    rows = session.scalars(select(VersionRow).where(VersionRow.product_id.in_(product_ids)))
    for row in rows:
        old = best.get(row.product_id)
        if old is None or (row.major, row.minor, row.patch) > (old.major, old.minor, old.patch):
            best[row.product_id] = row
    return best


def subscription_rows(session: Session, product_id: int) -> Sequence[SubscriptionRow]:
    """A product's subscriptions, oldest first."""
    return session.scalars(
        select(SubscriptionRow)
        .where(SubscriptionRow.product_id == product_id)
        .order_by(SubscriptionRow.id)
    ).all()


def subscription_reads(
    session: Session, product_id: int
) -> list[tuple[int, str, frozenset[str] | None, bool, bool]]:
    """(id, consumer email, columns read or None for all, all_changes, learnt from SQL?) of each
    subscription.

    Plain rows, not ORM objects: a product may have thousands of subscribers.
    """
    rows = session.execute(
        select(
            SubscriptionRow.id,
            PrincipalRow.email,
            SubscriptionRow.columns,
            SubscriptionRow.all_changes,
            SubscriptionRow.sql.is_not(None),
        )
        .join(PrincipalRow, PrincipalRow.id == SubscriptionRow.consumer_id)
        .where(SubscriptionRow.product_id == product_id)
        .order_by(SubscriptionRow.id)
    )
    return [(i, e, frozenset(c) if c else None, bool(a), bool(s)) for i, e, c, a, s in rows]


def open_change_request(session: Session, product_id: int) -> ChangeRequestRow | None:
    """The product's open change request, if any."""
    return session.scalars(
        select(ChangeRequestRow).where(ChangeRequestRow.open_product_id == product_id)
    ).first()


def change_request_row(session: Session, cr_id: int) -> ChangeRequestRow:
    """The change request with this id."""
    row = session.get(ChangeRequestRow, cr_id)
    if row is None:
        raise NotFound(f"no change request {cr_id}", change_request=cr_id)
    return row


def acknowledgement_rows(session: Session, cr_id: int) -> Sequence[AcknowledgementRow]:
    """Acknowledgements of a change request."""
    return session.scalars(
        select(AcknowledgementRow).where(AcknowledgementRow.change_request_id == cr_id)
    ).all()


def notice_rows(session: Session, cr_id: int, kind: str | None = None) -> Sequence[NoticeRow]:
    """Notices of a change request, optionally of one kind."""
    query = select(NoticeRow).where(NoticeRow.change_request_id == cr_id)
    if kind is not None:
        query = query.where(NoticeRow.kind == kind)
    return session.scalars(query.order_by(NoticeRow.id)).all()


def audit(
    session: Session,
    *,
    actor: PrincipalRow | None,
    action: str,
    entity: str,
    entity_id: int | None,
    product_id: int | None,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit record (in the caller's transaction)."""
    session.add(
        AuditRow(
            at=now,
            actor_id=actor.id if actor else None,
            actor=actor.email if actor else "system",
            action=action,
            entity=entity,
            entity_id=entity_id,
            product_id=product_id,
            before=before,
            after=after,
        )
    )


def to_principal(row: PrincipalRow) -> Principal:
    """The domain value of a principal row."""
    return Principal(row.id, row.email, row.name, row.is_admin, row.webhook_url)


def to_version(row: VersionRow) -> Version:
    """The domain value of a version row."""
    return Version(
        version=row.version,
        schema=row.schema_json,
        source=row.source,
        published_at=row.published_at,
        deprecated_at=row.deprecated_at,
        sunset_at=row.sunset_at,
        change_request_id=row.change_request_id,
    )


def to_product(row: ProductRow, current: VersionRow | str) -> Product:
    """The domain value of a product row with its current version."""
    return Product(
        id=row.id,
        name=row.name,
        description=row.description,
        dialect=row.dialect,
        owners=tuple(m.principal.email for m in row.members if m.role == Role.OWNER),
        maintainers=tuple(m.principal.email for m in row.members if m.role == Role.MAINTAINER),
        notice_period=row.notice_period,
        sunset_period=row.sunset_period,
        require_distinct_approver=row.require_distinct_approver,
        defining_sql=row.defining_sql,
        current_version=current if isinstance(current, str) else current.version,
        created_at=row.created_at,
        reminders=tuple(row.reminders),
    )


def to_subscription(row: SubscriptionRow, product: str) -> Subscription:
    """The domain value of a subscription row."""
    return Subscription(
        id=row.id,
        product=product,
        consumer_id=row.consumer_id,
        consumer_email=row.consumer.email,
        columns=tuple(row.columns) if row.columns is not None else None,
        sql=row.sql,
        version=row.version,
        channels=tuple(row.channels),
        all_changes=row.all_changes,
        created_at=row.created_at,
    )


def to_change_request(
    row: ChangeRequestRow,
    *,
    earliest_effective_at: datetime | None,
    acknowledged_by: tuple[str, ...],
    awaiting: tuple[str, ...],
) -> ChangeRequest:
    """The domain value of a change request row with its derived dates and acknowledgements."""
    decision = decide_verdicts(Verdict(c["verdict"]) for c in row.changes)
    return ChangeRequest(
        id=row.id,
        product=row.product.name,
        state=State(row.state),
        summary=row.summary,
        bump=row.bump,
        breaking=decision.breaking,
        unknown=decision.unknown,
        base_version=row.base_version,
        target_version=row.target_version,
        changes=list(row.changes),
        impact=Impact.model_validate(row.impact),
        proposer=row.proposer.email,
        approver=row.approver.email if row.approver else None,
        created_at=row.created_at,
        decided_at=row.decided_at,
        released_at=row.released_at,
        earliest_effective_at=earliest_effective_at,
        acknowledged_by=acknowledged_by,
        awaiting_acknowledgement=awaiting,
        source=row.source,
    )
