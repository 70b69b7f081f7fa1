"""The outbox's moves (claim due notices, record outcomes) and the scheduler's lease and marks.

Claiming is one short write transaction: on PostgreSQL `FOR UPDATE SKIP LOCKED` lets two
schedulers take disjoint rows; on SQLite the write transaction (BEGIN IMMEDIATE) serialises
claimers. Either way a claimed row is `sending` with `lease_until` set, so a scheduler that dies
mid-dispatch loses its claim when the lease runs out and the notice is sent again, with the same
Message-ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.domain import NoticeState
from service.store import queries as q
from service.store.db import Database
from service.store.tables import TZ, Base, NoticeBatchRow, NoticeRow


class SchedulerLeaseRow(Base):
    """Who may act as the scheduler until when; a replica takes it over once it runs out."""

    __tablename__ = "scheduler_lease"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    until: Mapped[datetime] = mapped_column(TZ)


class ScheduleMarkRow(Base):
    """A deadline of a change request already acted on (`reminder-7d`, `release`, `sunset`...)."""

    __tablename__ = "schedule_marks"
    change_request_id: Mapped[int] = mapped_column(
        ForeignKey("change_requests.id"), primary_key=True
    )
    event: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime]


def acquire_lease(
    session: Session, *, holder: str, now: datetime, ttl: timedelta, name: str = "scheduler"
) -> bool:
    """Take or renew the lease when it is free, expired or already ours; False if another holds it."""
    row = session.get(SchedulerLeaseRow, name, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SchedulerLeaseRow(name=name, holder=holder, until=now + ttl))
        except IntegrityError:  # another replica inserted it first
            return False
        return True
    if row.holder != holder and row.until > now:
        return False
    row.holder = holder
    row.until = now + ttl
    return True


def release_lease(session: Session, *, holder: str, name: str = "scheduler") -> None:
    """Give the lease up (on a clean shutdown), if we hold it."""
    row = session.get(SchedulerLeaseRow, name, with_for_update=True)
    if row is not None and row.holder == holder:
        session.delete(row)


def has_mark(session: Session, cr_id: int, event: str) -> bool:
    """Whether `event` of this change request was already acted on."""
    return session.get(ScheduleMarkRow, (cr_id, event)) is not None


def clear_marks(session: Session, cr_id: int, prefix: str) -> None:
    """Forget the marks of a change request whose events start with `prefix` (its deadlines
    moved: a re-approved change is reminded again before its new date)."""
    session.execute(
        delete(ScheduleMarkRow).where(
            ScheduleMarkRow.change_request_id == cr_id, ScheduleMarkRow.event.startswith(prefix)
        )
    )


def add_mark(session: Session, cr_id: int, event: str, now: datetime) -> None:
    """Record that `event` of this change request was acted on (in the acting transaction)."""
    session.add(ScheduleMarkRow(change_request_id=cr_id, event=event, at=now))
    session.flush()


def expand(session: Session, cr_id: int | None = None) -> int:
    """Write the outbox rows of every notice batch (of one change request), oldest first, and
    drop the batches; the number written out. On PostgreSQL a batch another writer is
    writing out is skipped (`FOR UPDATE SKIP LOCKED`), on SQLite writers are serialised: a
    batch is written out once."""
    query = select(NoticeBatchRow).order_by(NoticeBatchRow.id).with_for_update(skip_locked=True)
    if cr_id is not None:
        query = query.where(NoticeBatchRow.change_request_id == cr_id)
    batches = session.scalars(query).all()
    for batch in batches:
        q.insert_notices(
            session,
            change_request_id=batch.change_request_id,
            kind=batch.kind,
            state=batch.state,
            now=batch.created_at,
            recipients=batch.recipients,
            batch=batch.batch,
            note=batch.note,
            note_author=batch.note_author,
        )
        session.delete(batch)
    session.flush()
    return len(batches)


def expand_pending(db: Database, cr_id: int | None = None) -> int:
    """`expand` in its own transaction, when a batch waits (one read when none does)."""
    waiting = select(NoticeBatchRow.id).limit(1)
    if cr_id is not None:
        waiting = waiting.where(NoticeBatchRow.change_request_id == cr_id)
    if db.read(lambda connection: connection.execute(waiting).first()) is None:
        return 0
    with db.writing() as session:
        return expand(session, cr_id)


def claim_due(
    session: Session, *, now: datetime, lease: timedelta, limit: int = 200
) -> Sequence[NoticeRow]:
    """Claim up to `limit` due notices (pending and due, or sending with an expired lease)."""
    due = or_(
        and_(NoticeRow.state == NoticeState.PENDING.value, NoticeRow.next_attempt_at <= now),
        and_(NoticeRow.state == NoticeState.SENDING.value, NoticeRow.lease_until <= now),
    )
    rows = session.scalars(
        select(NoticeRow)
        .where(due)
        .order_by(NoticeRow.next_attempt_at, NoticeRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.state = NoticeState.SENDING.value
        row.lease_until = now + lease
    session.flush()
    return rows


def _claimed(session: Session, notice_id: int) -> NoticeRow | None:
    row = session.get(NoticeRow, notice_id, with_for_update=True)
    return row if row is not None and row.state == NoticeState.SENDING.value else None


def mark_delivered(session: Session, notice_id: int, *, at: datetime) -> None:
    """The notice left: delivered, with the moment (the notice period counts from it)."""
    row = session.get(NoticeRow, notice_id, with_for_update=True)
    if row is None or row.state == NoticeState.DELIVERED.value:
        return
    row.state = NoticeState.DELIVERED.value
    row.delivered_at = at
    row.attempts += 1
    row.lease_until = None
    row.last_error = None


def mark_retry(session: Session, notice_id: int, *, error: str, next_attempt_at: datetime) -> None:
    """A transient failure: back to pending, tried again at `next_attempt_at`."""
    row = _claimed(session, notice_id)
    if row is None:
        return
    row.state = NoticeState.PENDING.value
    row.attempts += 1
    row.next_attempt_at = next_attempt_at
    row.last_error = error[:2000]
    row.lease_until = None


def mark_failed(session: Session, notice_id: int, *, error: str) -> NoticeRow | None:
    """A permanent failure (or too many attempts): failed for good; returns the row if changed."""
    row = _claimed(session, notice_id)
    if row is None:
        return None
    row.state = NoticeState.FAILED.value
    row.attempts += 1
    row.last_error = error[:2000]
    row.lease_until = None
    return row
