"""The notice scheduler: ONE APScheduler interval job that enqueues what is due, then dispatches.

Deadlines live in Steward's own tables (change requests, versions, `schedule_marks`), never in
APScheduler's job store, so a restart loses nothing. With several replicas only the holder of
the `scheduler_lease` row acts; the others tick idly until the lease runs out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.dispatch import deliver_batch, next_attempt_at
from notifications.message import Message, Outcome, Status
from notifications.smtp import SmtpSettings
from notifications.webhook import TargetPolicy
from service.domain import NoticeKind, State, parse_duration, reminder_label
from service.errors import StewardError
from service.notice_messages import build_message, write_owner_notices
from service.settings import Settings
from service.store import outbox
from service.store.db import Database
from service.store.tables import ChangeRequestRow, NoticeRow, VersionRow
from service.usecases.changes import release
from service.usecases.lineage import LineageIndex
from service.usecases.notices import deprecation_delivered_at, effective_at, write_notices
from service.usecases.participants import tell_deciders

log = logging.getLogger(__name__)
REVIEW_REMINDER = "review-reminder"


def smtp_settings(settings: Settings) -> SmtpSettings:
    """The SMTP settings notifications.smtp takes."""
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        sender=settings.smtp_sender,
        timeout=settings.smtp_timeout,
    )


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick did: whether this replica acted, notices enqueued, delivery outcomes."""

    acting: bool
    enqueued: int = 0
    outcomes: tuple[Outcome, ...] = ()


@dataclass
class NoticeScheduler:
    """Enqueue due notices and drain the outbox; `tick()` is the one job APScheduler runs."""

    db: Database
    config: Settings
    clock: Callable[[], datetime] = utc_now
    holder: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    rng: random.Random = field(default_factory=random.Random)
    # None: the settings' policy (STEWARD_WEBHOOK_ALLOWED_HOSTS); tests may pass their own.
    webhook_policy: TargetPolicy | None = None
    #: The process's lineage index (the app's when run in-process): a release re-diffs with it.
    lineage: LineageIndex = field(default_factory=LineageIndex)

    def _policy(self) -> TargetPolicy:
        return self.webhook_policy or TargetPolicy(self.config.webhook_allowed_hosts)

    async def tick(self) -> TickReport:
        """Take the lease, enqueue what became due, then send every due notice."""
        if not await asyncio.to_thread(self._lease):
            return TickReport(acting=False)
        enqueued = await asyncio.to_thread(self.enqueue_due, self.clock())
        # notice batches (its own, and any an API process did not write out) become rows
        await asyncio.to_thread(outbox.expand_pending, self.db)
        outcomes: list[Outcome] = []
        for _ in range(50):  # bounded, so a huge backlog still lets the lease be renewed
            batch = await self.dispatch_once()
            if not batch:
                break
            outcomes.extend(batch)
        return TickReport(acting=True, enqueued=enqueued, outcomes=tuple(outcomes))

    def _lease(self) -> bool:
        ttl = timedelta(seconds=self.config.scheduler_lease_seconds)
        with self.db.writing() as session:
            return outbox.acquire_lease(session, holder=self.holder, now=self.clock(), ttl=ttl)

    def give_up_lease(self) -> None:
        """Release the lease so another replica takes over at once (clean shutdown)."""
        with self.db.writing() as session:
            outbox.release_lease(session, holder=self.holder)

    def enqueue_due(self, now: datetime) -> int:
        """Write the notices and transitions whose time has come; one transaction (the lineage
        index is topped up first, from what is committed: one small query when nothing is new)."""
        self.lineage.top_up(self.db)
        with self.db.writing() as session:
            count = 0
            scheduled = session.scalars(
                select(ChangeRequestRow.id).where(ChangeRequestRow.state == State.SCHEDULED.value)
            ).all()
            for cr_id in scheduled:
                count += self._guarded(session, cr_id, now, self._scheduled)
            released = session.scalars(
                select(ChangeRequestRow.id).where(
                    ChangeRequestRow.state == State.RELEASED.value,
                    ChangeRequestRow.breaking.is_(True),
                )
            ).all()
            for cr_id in released:
                if not outbox.has_mark(session, cr_id, "sunset"):
                    count += self._guarded(session, cr_id, now, self._released)
            proposed = session.scalars(
                select(ChangeRequestRow.id).where(ChangeRequestRow.state == State.PROPOSED.value)
            ).all()
            for cr_id in proposed:
                if not outbox.has_mark(session, cr_id, REVIEW_REMINDER):
                    count += self._guarded(session, cr_id, now, self._awaiting)
            return count

    def _awaiting(self, session: Session, cr: ChangeRequestRow, now: datetime) -> int:
        """Remind owners and maintainers once of a proposal still awaiting their decision."""
        wait = parse_duration(self.config.review_reminder_after, field="review_reminder_after")
        if now < cr.created_at + wait:
            return 0
        outbox.add_mark(session, cr.id, REVIEW_REMINDER, now)
        return tell_deciders(session, cr, cr.proposer, now)

    def _guarded(
        self,
        session: Session,
        cr_id: int,
        now: datetime,
        step: Callable[[Session, ChangeRequestRow, datetime], int],
    ) -> int:
        """Run one change request's step in a savepoint: one failure never blocks the others."""
        try:
            with session.begin_nested():
                return step(session, session.get_one(ChangeRequestRow, cr_id), now)
        except StewardError as exc:
            log.warning("change request %s: %s", cr_id, exc)
            return 0

    def _scheduled(self, session: Session, cr: ChangeRequestRow, now: datetime) -> int:
        """Reminders before the effective date; at it, publish the new version (release)."""
        when, _ = effective_at(session, cr, cr.product, now)
        if when is None:
            return 0
        count = self._reminders(session, cr, "", when, deprecation_delivered_at(session, cr), now)
        if now >= when and not outbox.has_mark(session, cr.id, "release"):
            release(session, actor=None, cr_id=cr.id, now=now, lineage=self.lineage)
            outbox.add_mark(session, cr.id, "release", now)
            count += 1
        return count

    def _released(self, session: Session, cr: ChangeRequestRow, now: datetime) -> int:
        """Reminders before the old version's sunset; at it, sunset notices (it is retired)."""
        major, minor, patch = (int(p) for p in cr.base_version.split("."))
        old = session.scalars(
            select(VersionRow).where(
                VersionRow.product_id == cr.product_id,
                VersionRow.major == major,
                VersionRow.minor == minor,
                VersionRow.patch == patch,
            )
        ).first()
        if old is None or old.sunset_at is None:
            return 0
        count = self._reminders(session, cr, "sunset-", old.sunset_at, cr.released_at, now)
        if now >= old.sunset_at:
            count += write_notices(session, cr, NoticeKind.SUNSET.value, now)
            outbox.add_mark(session, cr.id, "sunset", now)
        return count

    def _reminders(
        self,
        session: Session,
        cr: ChangeRequestRow,
        prefix: str,
        deadline: datetime,
        since: datetime | None,
        now: datetime,
    ) -> int:
        """The product's reminders before `deadline`; one whose moment predates `since` is
        marked but not sent (there was no time for it when the change was scheduled)."""
        count = 0
        for text in cr.product.reminders:
            ahead = parse_duration(text, field="reminders")
            event = f"{prefix}reminder-{reminder_label(ahead)}"
            moment = deadline - ahead
            if now < moment or now >= deadline or outbox.has_mark(session, cr.id, event):
                continue
            if since is not None and since < moment:
                count += write_notices(session, cr, NoticeKind.REMINDER.value, now)
            outbox.add_mark(session, cr.id, event, now)
        return count

    async def dispatch_once(self) -> list[Outcome]:
        """Claim a batch of due notices, deliver them, record each outcome; [] when none is due."""
        messages = await asyncio.to_thread(self._claim)
        if not messages:
            return []
        try:
            outcomes = await deliver_batch(
                messages, smtp_settings(self.config), policy=self._policy()
            )
        except Exception as exc:  # an unexpected error must not wedge claimed rows: retry them
            log.exception("delivering %d notices failed", len(messages))
            detail = f"{type(exc).__name__}: {exc}"
            outcomes = [
                Outcome(m.notice_id, "email", Status.TRANSIENT, m.message_id, detail)
                for m in messages
            ]
        await asyncio.to_thread(self._record, outcomes, self.clock())
        return outcomes

    def _claim(self) -> list[Message]:
        now = self.clock()
        lease = timedelta(seconds=self.config.notice_lease_seconds)
        messages: list[Message] = []
        with self.db.writing() as session:
            rows = outbox.claim_due(session, now=now, lease=lease, limit=self.config.batch_size)
            for row in rows:
                try:
                    messages.append(
                        build_message(
                            session,
                            row,
                            now=now,
                            public_url=self.config.public_url,
                            webhook_secret=self.config.webhook_secret,
                        )
                    )
                except ValueError as exc:  # an unusable address: fail it, tell the owners
                    failed = outbox.mark_failed(session, row.id, error=f"cannot build: {exc}")
                    if failed is not None:
                        write_owner_notices(session, failed, now)
        return messages

    def _record(self, outcomes: list[Outcome], now: datetime) -> None:
        base = timedelta(seconds=self.config.retry_base_seconds)
        cap = timedelta(seconds=self.config.retry_cap_seconds)
        with self.db.writing() as session:
            for outcome in outcomes:
                notice_id = int(outcome.notice_id)
                if outcome.status is Status.DELIVERED:
                    outbox.mark_delivered(session, notice_id, at=now)
                    continue
                attempts = _attempts(session, notice_id) + 1
                retry_at = next_attempt_at(
                    attempts,
                    now,
                    base=base,
                    cap=cap,
                    rng=self.rng,
                    max_attempts=self.config.max_attempts,
                )
                if outcome.status is Status.TRANSIENT and retry_at is not None:
                    outbox.mark_retry(
                        session, notice_id, error=outcome.detail, next_attempt_at=retry_at
                    )
                    continue
                failed = outbox.mark_failed(session, notice_id, error=outcome.detail)
                if failed is not None:
                    write_owner_notices(session, failed, now)


def _attempts(session: Session, notice_id: int) -> int:
    row = session.get(NoticeRow, notice_id)
    return row.attempts if row is not None else 0


@dataclass
class Running:
    """A started APScheduler and the worker its one job ticks."""

    scheduler: AsyncIOScheduler
    worker: NoticeScheduler

    def shutdown(self) -> None:
        """Stop ticking and close the worker's database connections."""
        self.scheduler.shutdown(wait=False)
        self.worker.db.dispose()


def start_scheduler(settings: Settings, lineage: LineageIndex | None = None) -> Running:
    """Start the one tick job on the running event loop (`steward serve` calls this in-process,
    with the app's lineage index)."""
    worker = NoticeScheduler(Database(settings), settings, lineage=lineage or LineageIndex())
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        worker.tick,
        "interval",
        seconds=settings.tick_seconds,
        id="steward-tick",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return Running(scheduler, worker)


async def run_forever(settings: Settings, stop: asyncio.Event) -> None:
    """Run the scheduler until `stop` is set, then give the lease up (`steward scheduler`)."""
    running = start_scheduler(settings)
    try:
        await stop.wait()
    finally:
        running.scheduler.shutdown(wait=False)
        await asyncio.to_thread(running.worker.give_up_lease)
        running.worker.db.dispose()
