"""The current principal and its tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from service.api.deps import Caller, Ctx, PageQuery, next_page
from service.api.schemas import Email, Id, MeOut, TokenOut
from service.usecases import auth as uc

router = APIRouter(tags=["me"])


@router.get("/me", response_model=MeOut)
def me(ctx: Ctx, actor: Caller) -> MeOut:
    """Who the bearer token belongs to: admin or not, products owned or maintained, subscribed."""
    with ctx.db.reading() as session:
        return MeOut.model_validate(uc.whoami(session, actor))


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(
    ctx: Ctx,
    actor: Caller,
    page: PageQuery,
    request: Request,
    response: Response,
    email: Annotated[Email | None, Query()] = None,
) -> list[TokenOut]:
    """The caller's tokens (an admin may name anyone's `email`), oldest first; never secrets;
    a page (`limit`, `cursor`; see `X-Next-Cursor`)."""
    with ctx.db.reading() as session:
        found = uc.list_tokens(session, actor=actor, email=email, page=page)
    next_page(request, response, found.next_after)
    return [TokenOut.model_validate(t) for t in found.items]


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: Id, ctx: Ctx, actor: Caller) -> TokenOut:
    """Revoke one of the caller's tokens (an admin: anyone's); it stops working at once."""
    with ctx.db.writing() as session:
        return TokenOut.model_validate(
            uc.revoke_token(session, actor=actor, token_id=token_id, now=ctx.clock())
        )
