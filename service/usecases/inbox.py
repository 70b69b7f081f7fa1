"""What waits for one person: decisions, acknowledgements, and their products' failed notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import OPEN_STATES, ChangeRequest, NoticeState, Principal, State
from service.store.tables import ChangeRequestRow, NoticeRow, ProductRow
from service.usecases.auth import whoami
from service.usecases.changes import view


@dataclass(frozen=True, slots=True)
class FailedNotice:
    """A notice of one of my products' change requests that could not be delivered."""

    change_request_id: int
    product: str
    kind: str
    channel: str
    recipient: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Waiting:
    """Change requests awaiting my decision or my acknowledgement; my products' failed notices."""

    to_decide: tuple[ChangeRequest, ...]
    to_acknowledge: tuple[ChangeRequest, ...]
    failed_notices: tuple[FailedNotice, ...]


def waiting_for(session: Session, *, actor: Principal, now: datetime) -> Waiting:
    """What waits for `actor`: proposals of products it owns, open changes awaiting its answer."""
    me = whoami(session, actor)
    owned = set(me.owner_of)
    mine = owned | set(me.maintainer_of)
    rows = session.scalars(
        select(ChangeRequestRow)
        .where(ChangeRequestRow.state.in_([s.value for s in OPEN_STATES]))
        .order_by(ChangeRequestRow.id)
    ).all()
    open_crs = [view(session, r, now) for r in rows]
    to_decide = [cr for cr in open_crs if cr.state is State.PROPOSED and cr.product in owned]
    awaited_as = {actor.email} | {f"product:{p}" for p in owned}
    to_ack = [cr for cr in open_crs if awaited_as & set(cr.awaiting_acknowledgement)]
    names: dict[int, str] = dict(
        session.execute(
            select(ChangeRequestRow.id, ProductRow.name)
            .join(ProductRow, ProductRow.id == ChangeRequestRow.product_id)
            .where(ProductRow.name.in_(mine))
        ).all()
    )
    failed = session.scalars(
        select(NoticeRow)
        .where(
            NoticeRow.change_request_id.in_(names),
            NoticeRow.state == NoticeState.FAILED.value,
        )
        .order_by(NoticeRow.id)
    ).all()
    return Waiting(
        tuple(to_decide),
        tuple(to_ack),
        tuple(
            FailedNotice(
                n.change_request_id,
                names[n.change_request_id],
                n.kind,
                n.channel,
                n.recipient,
                n.attempts,
                n.last_error,
            )
            for n in failed
        ),
    )
