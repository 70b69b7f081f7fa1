"""The outbox as the API shows it: a change request's notices and how their delivery went."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from service.api.deps import Caller, Ctx, PageQuery, next_page
from service.api.schemas import Id
from service.store import queries as q
from service.store.tables import NoticeRow

router = APIRouter(tags=["notices"])


class NoticeOut(BaseModel):
    """One notice: to whom, which kind, its delivery state, attempts and last error."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    change_request_id: int
    kind: str
    channel: str
    recipient: str
    state: str
    attempts: int
    due_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    message_id: str


@router.get("/change-requests/{cr_id}/notices", response_model=list[NoticeOut])
def list_notices(
    cr_id: Id, ctx: Ctx, _actor: Caller, page: PageQuery, request: Request, response: Response
) -> list[NoticeOut]:
    """A change request's notices, oldest first (failed ones carry the server's answer); a
    page (`limit`, `cursor`; see `X-Next-Cursor`)."""
    with ctx.db.reading() as session:
        q.change_request_row(session, cr_id)
        query = select(NoticeRow).where(NoticeRow.change_request_id == cr_id)
        found = session.scalars(q.keyset(query, NoticeRow.id, page)).all()
        rows, after = q.page_of(found, page, lambda n: n.id)
        items = [NoticeOut.model_validate(n) for n in rows]
    next_page(request, response, after)
    return items
