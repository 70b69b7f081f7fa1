"""Turn outbox rows into `notifications.Message` values: what reaches this recipient, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.message import AffectedChange, Kind, Message, SqlRewrite, ViewNote, iso_utc
from service.domain import RETIREMENT, NoticeState, State, parse_duration
from service.impact import Reader
from service.store import queries as q
from service.store.queries import impact_of_row
from service.store.tables import (
    ChangeRequestRow,
    NoticeRow,
    PrincipalRow,
    ProductRow,
    VersionRow,
)
from service.usecases.notices import EMAIL, effective_at, queue_notices

DELIVERY_FAILED = Kind.DELIVERY_FAILED.value
_ANNOUNCING = frozenset({Kind.DEPRECATION.value, Kind.REMINDER.value})


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


#: The notices that carry the migration path: the views and the recipient's own SQL.
MIGRATION_KINDS = frozenset({Kind.DEPRECATION.value, Kind.MIGRATION.value})


def _migration_path(
    cr: ChangeRequestRow, email: str | None
) -> tuple[tuple[ViewNote, ...], tuple[SqlRewrite, ...]]:
    """The compatibility views, and the recipient's subscriptions' SQL rewritten (or breaking)."""
    stored: dict[str, Any] = cr.migration or {}
    views = tuple(
        ViewNote(v["table"], v["name"], v["sql"], tuple(v.get("warnings", [])))
        for v in stored.get("compatibility_views", [])
    )
    rewrites = tuple(
        SqlRewrite(
            f"subscription {c['subscription']}",
            c["status"],
            c.get("sql"),
            tuple(
                f"line {b['line'] or '?'}: {b['column'] + ': ' if b['column'] else ''}{b['reason']}"
                for b in c.get("breaks", [])
            ),
        )
        for c in stored.get("consumers", [])
        if email is not None and c.get("consumer") == email
    )
    return views, rewrites


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


def _retirement_subject(product: str, kind: str, when: datetime | None) -> str:
    """A retirement's own words: the product goes, not a version replaced by another."""
    if kind == Kind.SUNSET.value:
        return f"{product} is retired: every version is gone"
    date = iso_utc(when) if when is not None else "on a date to come"
    return f"{product} is being retired: every version stops answering {date}"


def _outcome(cr: ChangeRequestRow) -> str:
    """What was decided, in the proposer's words: approved (scheduled or released), or the end."""
    if cr.state in (State.APPROVED.value, State.SCHEDULED.value, State.RELEASED.value):
        return "approved"
    return cr.state


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
        # A retired product is gone at the effective date; a new version keeps the old a while.
        keep = parse_duration(product.sunset_period, field="sunset_period")
        sunset = when if cr.kind == RETIREMENT else when + keep
        if old is not None and old.sunset_at is not None:
            sunset = max(sunset, old.sunset_at)
    announcing = row.kind in _ANNOUNCING and cr.released_at is None and cr.breaking
    if announcing and old is not None and sunset is not None:
        # The date told to readers is kept on the version: it never moves earlier.
        old.sunset_at = max(old.sunset_at, sunset) if old.sunset_at else sunset
    base = public_url.rstrip("/")
    channel_fields: dict[str, Any] = (
        {"recipient_email": row.recipient}
        if row.channel == EMAIL
        else {"webhook_url": row.recipient, "webhook_secret": webhook_secret}
    )
    views, rewrites = _migration_path(cr, email) if row.kind in MIGRATION_KINDS else ((), ())
    return Message(
        subject=_retirement_subject(product.name, row.kind, when) if cr.kind == RETIREMENT else "",
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
        note=row.note or "",
        note_author=row.note_author or "",
        outcome=_outcome(cr) if row.kind == Kind.DECISION.value else "",
        change_request_url=f"{base}/change-requests/{cr.id}",
        views=views,
        rewrites=rewrites,
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
    recipients = [q.Recipient(owner.id, EMAIL, owner.email) for owner in owners]
    return queue_notices(session, cr, DELIVERY_FAILED, recipients, now)
