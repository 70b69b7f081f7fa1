"""The outbox as the API shows it: a change request's notices and how their delivery went."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from service.api.deps import Caller, Ctx, PageQuery, next_page
from service.api.schemas import Id
from service.store.outbox import expand_pending
from service.usecases.notices import visible_notices

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
    cr_id: Id, ctx: Ctx, actor: Caller, page: PageQuery, request: Request, response: Response
) -> list[NoticeOut]:
    """A change request's notices, oldest first: all for the product's owners and admins, else
    the caller's own; failed ones say why (the receiver's status, never its reply); a page
    (`limit`, `cursor`; see `X-Next-Cursor`)."""
    expand_pending(ctx.db, cr_id)  # a batch not yet written out (its process stopped)
    with ctx.db.reading() as session:
        found = visible_notices(session, cr_id, actor, page)
        items = [
            NoticeOut.model_validate(n).model_copy(update={"recipient": recipient})
            for n, recipient in found.items
        ]
    next_page(request, response, found.next_after)
    return items
