"""Comments on change requests: anyone signed in may comment; participants are told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import Comment, Page, Paged, Principal
from service.errors import InvalidInput
from service.store import queries as q
from service.store.tables import CommentRow
from service.usecases.common import actor_row
from service.usecases.participants import tell_participants

MAX_COMMENT = 10_000


def add_comment(
    session: Session, *, actor: Principal, cr_id: int, body: str, now: datetime
) -> Comment:
    """Comment on a change request (in any state); the participants get a notice; audited."""
    text = body.strip()
    if not text:
        raise InvalidInput("a comment needs some text", field="body")
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"a comment is at most {MAX_COMMENT:,} characters", field="body")
    cr = q.change_request_row(session, cr_id)
    me = actor_row(session, actor)
    tell_participants(session, cr, me, text, now)
    row = CommentRow(change_request_id=cr.id, author_id=me.id, body=text, created_at=now)
    session.add(row)
    session.flush()
    q.audit(
        session,
        actor=me,
        action="change_request.comment",
        entity="change_request",
        entity_id=cr.id,
        product_id=cr.product_id,
        now=now,
        after={"comment": row.id, "body": text},
    )
    return _comment(row)


def list_comments(session: Session, cr_id: int, page: Page | None = None) -> Paged[Comment]:
    """A page of a change request's comments, oldest first (PAGE None: all of them)."""
    cr = q.change_request_row(session, cr_id)
    query = select(CommentRow).where(CommentRow.change_request_id == cr.id)
    rows, after = q.rows_of_page(session, query, CommentRow.id, page)
    return Paged([_comment(r) for r in rows], after)


def _comment(row: CommentRow) -> Comment:
    return Comment(row.id, row.change_request_id, row.author.email, row.body, row.created_at)
