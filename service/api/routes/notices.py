"""The outbox as the API shows it: a change request's notices and how their delivery went."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from service.api.deps import Caller, Ctx
from service.api.schemas import Id
from service.store import queries as q

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
def list_notices(cr_id: Id, ctx: Ctx, _actor: Caller) -> list[NoticeOut]:
    """Every notice of a change request, oldest first (failed ones carry the server's answer)."""
    with ctx.db.reading() as session:
        q.change_request_row(session, cr_id)
        return [NoticeOut.model_validate(n) for n in q.notice_rows(session, cr_id)]
