"""Turn outbox rows into `notifications.Message` values: what reaches this recipient, and when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.message import AffectedChange, Kind, Message
from service.domain import NoticeState, parse_duration
from service.impact import Reader
from service.store.tables import (
    ChangeRequestRow,
    NoticeRow,
    PrincipalRow,
    ProductRow,
    VersionRow,
)
from service.usecases.notices import EMAIL, effective_at, impact_of_row

DELIVERY_FAILED = Kind.DELIVERY_FAILED.value


def _mine(cr: ChangeRequestRow, email: str | None) -> list[Reader]:
    """The readers this recipient is told of (a subscriber's own, an owner's, a contact's)."""
    if email is None:
        return []
    folded = email.lower()
    return [r for r in impact_of_row(cr).readers if folded in {e.lower() for e in r.emails}]


def _touched(readers: list[Reader]) -> list[str]:
    """What of the product each reader reads that changes, as the notice lists it."""
    found: list[str] = []
    for reader in readers:
        if reader.subscription is not None:
            found.extend(reader.reads)
        else:
            found.extend(f"{reader.name} (reads {read})" for read in reader.reads)
    return sorted(set(found))


def _changes(cr: ChangeRequestRow, readers: list[Reader]) -> tuple[AffectedChange, ...]:
    """The changes that reach these readers; every change when nothing narrows it down."""
    items = [
        AffectedChange(
            table=str(c.get("table", "")),
            column=c.get("column"),
            kind=str(c.get("kind", "")),
            verdict=str(c.get("verdict", "")),
            reason=str(c.get("reason", "")),
            before=c.get("before"),
            after=c.get("after"),
        )
        for c in cr.changes or []
    ]
    positions = sorted({p for r in readers for p in r.changes if p < len(items)})
    return tuple(items[p] for p in positions) or tuple(items)


def _old_version(session: Session, cr: ChangeRequestRow) -> VersionRow | None:
    major, minor, patch = (int(p) for p in cr.base_version.split("."))
    return session.scalars(
        select(VersionRow).where(
            VersionRow.product_id == cr.product_id,
            VersionRow.major == major,
            VersionRow.minor == minor,
            VersionRow.patch == patch,
        )
    ).first()


def _failures(session: Session, cr: ChangeRequestRow) -> str:
    """The failed notices of a change request, for the owners' delivery-failure notice."""
    rows = session.scalars(
        select(NoticeRow).where(
            NoticeRow.change_request_id == cr.id,
            NoticeRow.state == NoticeState.FAILED.value,
            NoticeRow.kind != DELIVERY_FAILED,
        )
    ).all()
    return "; ".join(f"{r.kind} notice to {r.recipient}: {r.last_error}" for r in rows)


def build_message(
    session: Session, row: NoticeRow, *, now: datetime, public_url: str, webhook_secret: str
) -> Message:
    """The message a claimed notice row carries."""
    cr = session.get_one(ChangeRequestRow, row.change_request_id)
    product: ProductRow = cr.product
    recipient = session.get(PrincipalRow, row.recipient_id) if row.recipient_id else None
    email = recipient.email if recipient else (row.recipient if row.channel == EMAIL else None)
    readers = _mine(cr, email)
    touched = _touched(readers)
    old = _old_version(session, cr)
    if cr.released_at is not None:
        when: datetime | None = cr.released_at
    else:
        when, _ = effective_at(session, cr, product, now)
        if when is None and row.kind != "proposed":
            # Not delivered yet: the period will count from about now, this very delivery.
            when = now + parse_duration(product.notice_period, field="notice_period")
    sunset = old.sunset_at if old is not None and cr.released_at is not None else None
    if sunset is None and when is not None and cr.breaking:
        sunset = when + parse_duration(product.sunset_period, field="sunset_period")
    base = public_url.rstrip("/")
    channel_fields: dict[str, Any] = (
        {"recipient_email": row.recipient}
        if row.channel == EMAIL
        else {"webhook_url": row.recipient, "webhook_secret": webhook_secret}
    )
    return Message(
        notice_id=str(row.id),
        kind=Kind(row.kind),
        product=product.name,
        old_version=cr.base_version,
        new_version=cr.target_version,
        message_id=row.message_id,
        acknowledge_url=f"{base}/change-requests/{cr.id}/acknowledge",
        recipient_name=(recipient.name or "") if recipient else "",
        changes=_changes(cr, readers),
        touched=tuple(touched),
        proposed_at=cr.created_at,
        effective_at=when if row.kind != "proposed" else None,
        sunset_at=sunset if row.kind != "proposed" else None,
        failure=_failures(session, cr) if row.kind == DELIVERY_FAILED else "",
        **channel_fields,
    )


def write_owner_notices(session: Session, failed: NoticeRow, now: datetime) -> int:
    """Queue a delivery-failure notice to each owner of the product (none for such a notice)."""
    if failed.kind == DELIVERY_FAILED:
        return 0
    cr = session.get_one(ChangeRequestRow, failed.change_request_id)
    waiting = session.scalars(
        select(NoticeRow.id).where(
            NoticeRow.change_request_id == cr.id,
            NoticeRow.kind == DELIVERY_FAILED,
            NoticeRow.state == NoticeState.PENDING.value,
        )
    ).first()
    if waiting is not None:  # one still to go lists this failure too when it is rendered
        return 0
    owners = [m.principal for m in cr.product.members if m.role == "owner"]
    for owner in owners:
        session.add(
            NoticeRow(
                change_request_id=cr.id,
                recipient_id=owner.id,
                recipient=owner.email,
                channel=EMAIL,
                kind=DELIVERY_FAILED,
                due_at=now,
                state=NoticeState.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                message_id=f"<{uuid.uuid4().hex}.cr{cr.id}.{DELIVERY_FAILED}@steward>",
                created_at=now,
            )
        )
    session.flush()
    return len(owners)
