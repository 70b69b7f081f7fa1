"""Outbox rows, acknowledgements, effective dates and publishing, shared by the operations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.domain import (
    OPEN_STATES,
    NoticeKind,
    NoticeState,
    Page,
    Paged,
    Principal,
    SemVer,
    State,
    masked,
    parse_duration,
)
from service.errors import Conflict, InvalidTransition, NotAuthorized
from service.store import queries as q
from service.store.queries import impact_of_row
from service.store.tables import (
    AcknowledgementRow,
    ChangeRequestRow,
    NoticeRow,
    PrincipalRow,
    ProductRow,
    SubscriptionRow,
    VersionRow,
)
from service.usecases.common import roles_of
from service.workflow import earliest_effective_at, may, release_early, retirement

EMAIL = "email"
WEBHOOK = "webhook"


def _recipients(
    session: Session,
    cr: ChangeRequestRow,
    *,
    breaking_only: bool,
    subscriptions: Sequence[q.SubscriptionRead] | None = None,
) -> list[q.Recipient]:
    """Every contact of every reader reached, once each.

    A subscriber is told on its subscription's channels; every other reader's contacts (a
    downstream product's owners, an exposure's or a job's owner, else the product's owners)
    by email. SUBSCRIPTIONS are the product's, when the operation has read them already.
    """
    readers = [r for r in impact_of_row(cr).readers if r.breaking or not breaking_only]
    wanted = {r.subscription for r in readers if r.subscription is not None}
    found: dict[tuple[str, str], int | None] = {}
    if wanted:
        # The readers' subscriptions are the product's: read by product (an IN list of
        # thousands of ids costs more to build and bind than the rows it skips).
        if subscriptions is None:
            subscriptions = q.subscription_reads(session, cr.product_id)
        for sub in subscriptions:
            if sub.id not in wanted:
                continue
            for channel in sub.channels:
                if channel == EMAIL:
                    found.setdefault((EMAIL, sub.email), sub.consumer_id)
                else:
                    found.setdefault((WEBHOOK, channel), sub.consumer_id)
    for email in sorted({e for r in readers if r.subscription is None for e in r.emails}):
        if (EMAIL, email) not in found:
            row = q.principal_by_email(session, email)
            found[(EMAIL, email)] = row.id if row else None
    return [q.Recipient(pid, channel, address) for (channel, address), pid in sorted(found.items())]


def visible_notices(
    session: Session, cr_id: int, viewer: Principal, page: Page | None = None
) -> Paged[tuple[NoticeRow, str]]:
    """A page of the change request's notices the viewer may see, oldest first, each with its
    recipient as shown to them: all for the product's owners and admins (webhook URLs masked
    but to their consumer), else the viewer's own."""
    page = page or Page()
    cr = q.change_request_row(session, cr_id)
    query = select(NoticeRow).where(NoticeRow.change_request_id == cr_id)
    if not may("read_notices", roles_of(cr.product, viewer)):
        query = query.where(NoticeRow.recipient_id == viewer.id)
    found = session.scalars(q.keyset(query, NoticeRow.id, page)).all()
    rows, after = q.page_of(found, page, lambda n: n.id)
    shown: list[tuple[NoticeRow, str]] = []
    for notice in rows:
        plain = notice.recipient_id == viewer.id or notice.channel == EMAIL
        shown.append((notice, notice.recipient if plain else masked(notice.recipient)))
    return Paged(shown, after)


def write_notices(
    session: Session,
    cr: ChangeRequestRow,
    kind: str,
    now: datetime,
    subscriptions: Sequence[q.SubscriptionRead] | None = None,
) -> int:
    """Queue one notice of `kind` per recipient in the outbox (delivery happens elsewhere);
    SUBSCRIPTIONS: the product's, when the operation has read them already."""
    NoticeKind(kind)
    breaking_only = kind == NoticeKind.DEPRECATION
    recipients = _recipients(session, cr, breaking_only=breaking_only, subscriptions=subscriptions)
    return queue_notices(session, cr, kind, recipients, now)


#: From this many recipients, notices are queued as one batch row, written out as outbox rows
#: after the operation's answer (`outbox.expand`): each row costs index entries and two
#: foreign-key checks, about 10 ms per 350 on PostgreSQL, which the proposer need not wait
#: for. Fewer are written at once (one statement either way).
BATCH_FROM = 100


def queue_notices(
    session: Session,
    cr: ChangeRequestRow,
    kind: str,
    recipients: Sequence[q.Recipient],
    now: datetime,
    *,
    note: str | None = None,
    note_author: str | None = None,
) -> int:
    """Queue one notice of `kind` to each recipient in the outbox, due now; how many."""
    if not recipients:
        return 0
    write = q.insert_notice_batch if len(recipients) >= BATCH_FROM else q.insert_notices
    write(
        session,
        change_request_id=cr.id,
        kind=kind,
        state=NoticeState.PENDING.value,
        now=now,
        recipients=recipients,
        batch=uuid.uuid4().hex,  # one random part per batch, numbered: unique, one urandom
        note=note,
        note_author=note_author,
    )
    return len(recipients)


def deprecation_delivered_at(session: Session, cr: ChangeRequestRow) -> datetime | None:
    """When the last deprecation notice was delivered; None while any is still undelivered.

    A scheduled change with nobody to notify counts from its approval: no known reader is
    not no reader, so the notice period still runs.
    """
    kind = NoticeKind.DEPRECATION.value
    notices = q.notice_rows(session, cr.id, kind)
    if any(n.delivered_at is None for n in notices) or q.notice_batch_pending(session, cr.id, kind):
        return None  # a batch not yet written out is undelivered notices
    if not notices:
        return cr.decided_at if cr.state == State.SCHEDULED.value else None
    return max(n.delivered_at for n in notices if n.delivered_at is not None)


def acknowledgement_status(
    session: Session, cr: ChangeRequestRow, *, fresh: bool = False
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(who acknowledged, who still must): consumer emails and downstream product names.

    FRESH: the change request was proposed in this operation, so nobody acknowledged it yet
    (nothing to read)."""
    rows = () if fresh else q.acknowledgement_rows(session, cr.id)
    acked = tuple(sorted(a.consumer.email for a in rows))
    impact = impact_of_row(cr)
    awaiting = [e for e in impact.consumers if e not in acked]
    for product in impact.downstream_products:
        if product.breaking and not set(product.owners) & set(acked):
            awaiting.append(f"product:{product.product}")
    return acked, tuple(awaiting)


def effective_at(
    session: Session,
    cr: ChangeRequestRow,
    product: ProductRow,
    now: datetime,
    awaiting: tuple[str, ...] | None = None,
    *,
    fresh: bool = False,
) -> tuple[datetime | None, bool]:
    """(earliest effective date, may it go early?) of a breaking change request; AWAITING:
    who must still acknowledge it, when the caller read that already. FRESH: proposed in
    this operation, so no deprecation notice exists yet (nothing to read)."""
    if awaiting is None:
        _, awaiting = acknowledgement_status(session, cr, fresh=fresh)
    impact = impact_of_row(cr)
    known = len(impact.consumers) + len(impact.products_to_acknowledge)
    early = release_early(
        known_readers=known, awaiting=len(awaiting), waived=product.waive_notice_without_readers
    )
    when = earliest_effective_at(
        None if fresh else deprecation_delivered_at(session, cr),
        parse_duration(product.notice_period, field="notice_period"),
        early,
        now,
    )
    return when, early


def acknowledge_as(
    session: Session, cr: ChangeRequestRow, product: ProductRow, me: PrincipalRow, now: datetime
) -> None:
    """Record the caller's acknowledgement (idempotent); only subscribers or downstream owners."""
    if State(cr.state) not in OPEN_STATES:
        raise InvalidTransition(
            f"cannot acknowledge a change request that is {cr.state}", state=cr.state
        )
    subscribed = session.scalars(
        select(SubscriptionRow.id).where(
            SubscriptionRow.product_id == product.id, SubscriptionRow.consumer_id == me.id
        )
    ).first()
    owners = {o for p in impact_of_row(cr).downstream_products for o in p.owners}
    if subscribed is None and me.email not in owners:
        raise NotAuthorized(
            "only a subscriber of the product or an owner of a downstream product may acknowledge"
        )
    exists = session.scalars(
        select(AcknowledgementRow.id).where(
            AcknowledgementRow.change_request_id == cr.id, AcknowledgementRow.consumer_id == me.id
        )
    ).first()
    if exists is None:
        session.add(AcknowledgementRow(change_request_id=cr.id, consumer_id=me.id, created_at=now))
        session.flush()


def publish(session: Session, product: ProductRow, cr: ChangeRequestRow, now: datetime) -> None:
    """Publish the change request's schema as the next version; old version deprecated/sunset."""
    current = q.current_version_row(session, product.id)
    number = SemVer.parse(current.version).bump(cr.bump)
    current.deprecated_at = current.deprecated_at or now
    current.sunset_at = retirement(
        now,
        sunset_period=parse_duration(product.sunset_period, field="sunset_period"),
        announced=current.sunset_at,  # a date announced to readers never moves earlier
    )
    session.add(
        VersionRow(
            product_id=product.id,
            major=number.major,
            minor=number.minor,
            patch=number.patch,
            schema_json=cr.schema_json,
            source=cr.source,
            change_request_id=cr.id,
            published_at=now,
        )
    )
    cr.target_version = str(number)
    cr.released_at = now
    cr.open_product_id = None
    cr.compatible_product_id = None
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"version {number} of {product.name!r} was published concurrently", version=str(number)
        ) from exc
    # A breaking release asks readers to migrate off the old version before its sunset.
    kind = NoticeKind.MIGRATION if cr.breaking else NoticeKind.RELEASED
    write_notices(session, cr, kind.value, now)
