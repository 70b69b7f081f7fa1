"""Who takes part in a change request beyond its readers: deciders, the proposer, commenters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import NoticeKind, Role
from service.store import queries as q
from service.store.tables import ChangeRequestRow, CommentRow, PrincipalRow
from service.usecases.notices import EMAIL, queue_notices

DECIDERS = (Role.OWNER.value, Role.MAINTAINER.value)


def _by_email(people: list[PrincipalRow], skip: PrincipalRow | None) -> list[q.Recipient]:
    seen: dict[str, int] = {}
    for person in people:
        if skip is None or person.id != skip.id:
            seen.setdefault(person.email, person.id)
    return [q.Recipient(pid, EMAIL, email) for email, pid in sorted(seen.items())]


def deciders(cr: ChangeRequestRow) -> list[PrincipalRow]:
    """The product's owners and maintainers."""
    return [m.principal for m in cr.product.members if m.role in DECIDERS]


def tell_deciders(
    session: Session, cr: ChangeRequestRow, actor: PrincipalRow | None, now: datetime
) -> int:
    """A review notice to each owner and maintainer but the one who proposed."""
    recipients = _by_email(deciders(cr), actor)
    author = cr.proposer.email
    return queue_notices(session, cr, NoticeKind.REVIEW.value, recipients, now, note_author=author)


def tell_proposer(
    session: Session,
    cr: ChangeRequestRow,
    actor: PrincipalRow | None,
    reason: str | None,
    now: datetime,
) -> int:
    """A decision notice to the proposer (unless they decided themselves), with the reason."""
    recipients = _by_email([cr.proposer], actor)
    author = actor.email if actor else "Steward"
    return queue_notices(
        session, cr, NoticeKind.DECISION.value, recipients, now, note=reason, note_author=author
    )


def tell_participants(
    session: Session, cr: ChangeRequestRow, author: PrincipalRow, body: str, now: datetime
) -> int:
    """A comment notice to the deciders, the proposer and earlier commenters, not the author."""
    commenters = session.scalars(
        select(PrincipalRow)
        .join(CommentRow, CommentRow.author_id == PrincipalRow.id)
        .where(CommentRow.change_request_id == cr.id)
    ).all()
    people = [*deciders(cr), cr.proposer, *commenters]
    return queue_notices(
        session,
        cr,
        NoticeKind.COMMENT.value,
        _by_email(people, author),
        now,
        note=body,
        note_author=author.email,
    )
