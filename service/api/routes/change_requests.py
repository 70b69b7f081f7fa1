"""Change requests: propose, decide, acknowledge, release, read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from service.api.deps import Caller, Ctx
from service.api.schemas import ChangeRequestIn, ChangeRequestOut, Id, ProductFilter, ProductName
from service.domain import ChangeRequest, Principal, State
from service.usecases import changes as uc

router = APIRouter(tags=["change requests"])

Operation = Callable[..., ChangeRequest]


def _out(cr: ChangeRequest) -> ChangeRequestOut:
    return ChangeRequestOut.model_validate(cr)


@router.post("/products/{name}/change-requests", status_code=201, response_model=ChangeRequestOut)
def propose(name: ProductName, body: ChangeRequestIn, ctx: Ctx, actor: Caller) -> ChangeRequestOut:
    """Propose a new schema (owners and maintainers); the answer has changes, bump and impact."""
    with ctx.db.reading() as session:
        ctx.lineage.refresh(session)
    with ctx.db.writing() as session:
        cr = uc.propose(
            session,
            actor=actor,
            product=name,
            schema=body.schema_,
            renames=body.renames,
            summary=body.summary,
            limits=ctx.limits,
            now=ctx.clock(),
            lineage=ctx.lineage,
            runner=ctx.worker,
        )
    return _out(cr)


def _act(ctx: Ctx, operation: Operation, actor: Principal, cr_id: int) -> ChangeRequestOut:
    with ctx.db.writing() as session:
        return _out(operation(session, actor=actor, cr_id=cr_id, now=ctx.clock()))


@router.post("/change-requests/{cr_id}/approve", response_model=ChangeRequestOut)
def approve(cr_id: Id, ctx: Ctx, actor: Caller) -> ChangeRequestOut:
    """Approve (owners): compatible changes are released at once, breaking ones scheduled."""
    return _act(ctx, uc.approve, actor, cr_id)


@router.post("/change-requests/{cr_id}/reject", response_model=ChangeRequestOut)
def reject(cr_id: Id, ctx: Ctx, actor: Caller) -> ChangeRequestOut:
    """Reject a proposal (owners)."""
    return _act(ctx, uc.reject, actor, cr_id)


@router.post("/change-requests/{cr_id}/withdraw", response_model=ChangeRequestOut)
def withdraw(cr_id: Id, ctx: Ctx, actor: Caller) -> ChangeRequestOut:
    """Withdraw a proposal (its proposer or an owner) or a scheduled change (an owner)."""
    return _act(ctx, uc.withdraw, actor, cr_id)


@router.post("/change-requests/{cr_id}/acknowledge", response_model=ChangeRequestOut)
def acknowledge(cr_id: Id, ctx: Ctx, actor: Caller) -> ChangeRequestOut:
    """Acknowledge a change (a subscriber or a downstream product's owner)."""
    return _act(ctx, uc.acknowledge, actor, cr_id)


@router.post("/change-requests/{cr_id}/release", response_model=ChangeRequestOut)
def release(cr_id: Id, ctx: Ctx, actor: Caller) -> ChangeRequestOut:
    """Release a scheduled change (owners): after the notice period, or once all acknowledged."""
    return _act(ctx, uc.release, actor, cr_id)


@router.get("/change-requests/{cr_id}", response_model=ChangeRequestOut)
def get_change_request(cr_id: Id, ctx: Ctx, actor: Caller) -> ChangeRequestOut:
    """One change request (consumers see, of the people it reaches, only themselves)."""
    with ctx.db.reading() as session:
        return _out(uc.get_change_request(session, cr_id, ctx.clock(), actor))


@router.get("/change-requests", response_model=list[ChangeRequestOut])
def list_change_requests(
    ctx: Ctx,
    actor: Caller,
    product: ProductFilter = None,
    state: Annotated[State | None, Query()] = None,
) -> list[ChangeRequestOut]:
    """Change requests, newest first, optionally of one product and/or one state."""
    with ctx.db.reading() as session:
        return _list(session, product, state, ctx.clock(), actor)


def _list(
    session: Session, product: str | None, state: State | None, now: datetime, viewer: Principal
) -> list[ChangeRequestOut]:
    found = uc.list_change_requests(
        session, product=product, state=state.value if state else None, now=now, viewer=viewer
    )
    return [_out(cr) for cr in found]
