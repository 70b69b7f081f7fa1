"""Change requests: propose, decide, acknowledge, release, read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import TypeAdapter

from service.api.deps import Caller, Ctx, PageQuery, next_page
from service.api.schemas import (
    ChangeRequestIn,
    ChangeRequestOut,
    CommentIn,
    CommentOut,
    DecisionIn,
    Id,
    MigrationOut,
    ProductFilter,
    ProductName,
)
from service.domain import ChangeRequest, Principal, State
from service.usecases import changes as uc
from service.usecases import comments
from service.usecases import migration as migration_uc

router = APIRouter(tags=["change requests"])

Operation = Callable[..., ChangeRequest]


#: a page of change requests as JSON
_PAGE = TypeAdapter(list[ChangeRequestOut])


def _out(cr: ChangeRequest, status_code: int = 200) -> Response:
    """The answer, checked and serialised once. Returned as a model, FastAPI would dump it,
    validate the dump again and serialise that: for a change request that reaches
    thousands of readers, most of a proposal's time."""
    return Response(
        ChangeRequestOut.model_validate(cr).model_dump_json(by_alias=True),
        status_code=status_code,
        media_type="application/json",
    )


@router.post("/products/{name}/change-requests", status_code=201, response_model=ChangeRequestOut)
def propose(name: ProductName, body: ChangeRequestIn, ctx: Ctx, actor: Caller) -> Response:
    """Propose a new schema (owners and maintainers); the answer has changes, bump and impact."""
    ctx.lineage.top_up(ctx.db)  # impact is computed against what the store holds now
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
    return _out(cr, status_code=201)


def _act(
    ctx: Ctx, operation: Operation, actor: Principal, cr_id: int, **extra: str | None
) -> Response:
    with ctx.db.writing() as session:
        return _out(operation(session, actor=actor, cr_id=cr_id, now=ctx.clock(), **extra))


Decision = Annotated[DecisionIn | None, Body()]


@router.post("/change-requests/{cr_id}/approve", response_model=ChangeRequestOut)
def approve(cr_id: Id, ctx: Ctx, actor: Caller, body: Decision = None) -> Response:
    """Approve (owners), optionally with a reason: compatible changes are released at once,
    breaking ones scheduled."""
    ctx.lineage.top_up(ctx.db)  # impact is computed against what the store holds now
    with ctx.db.writing() as session:
        cr = uc.approve(
            session,
            actor=actor,
            cr_id=cr_id,
            now=ctx.clock(),
            reason=body.reason if body else None,
            lineage=ctx.lineage,
        )
    return _out(cr)


@router.post("/change-requests/{cr_id}/reject", response_model=ChangeRequestOut)
def reject(cr_id: Id, ctx: Ctx, actor: Caller, body: Decision = None) -> Response:
    """Reject a proposal (owners), optionally with a reason."""
    return _act(ctx, uc.reject, actor, cr_id, reason=body.reason if body else None)


@router.post("/change-requests/{cr_id}/withdraw", response_model=ChangeRequestOut)
def withdraw(cr_id: Id, ctx: Ctx, actor: Caller, body: Decision = None) -> Response:
    """Withdraw a proposal (its proposer or an owner) or a scheduled change (an owner),
    optionally with a reason."""
    return _act(ctx, uc.withdraw, actor, cr_id, reason=body.reason if body else None)


@router.post("/change-requests/{cr_id}/comments", status_code=201, response_model=CommentOut)
def add_comment(cr_id: Id, body: CommentIn, ctx: Ctx, actor: Caller) -> CommentOut:
    """Comment on a change request (anyone signed in); its participants are told."""
    with ctx.db.writing() as session:
        found = comments.add_comment(
            session, actor=actor, cr_id=cr_id, body=body.body, now=ctx.clock()
        )
    return CommentOut.model_validate(found)


@router.get("/change-requests/{cr_id}/comments", response_model=list[CommentOut])
def list_comments(
    cr_id: Id, ctx: Ctx, _actor: Caller, page: PageQuery, request: Request, response: Response
) -> list[CommentOut]:
    """A change request's comments, oldest first; a page (`limit`, `cursor`; see
    `X-Next-Cursor`)."""
    with ctx.db.reading() as session:
        found = comments.list_comments(session, cr_id, page)
    next_page(request, response, found.next_after)
    return [CommentOut.model_validate(c) for c in found.items]


@router.post("/change-requests/{cr_id}/acknowledge", response_model=ChangeRequestOut)
def acknowledge(cr_id: Id, ctx: Ctx, actor: Caller) -> Response:
    """Acknowledge a change (a subscriber or a downstream product's owner)."""
    return _act(ctx, uc.acknowledge, actor, cr_id)


@router.post("/change-requests/{cr_id}/release", response_model=ChangeRequestOut)
def release(cr_id: Id, ctx: Ctx, actor: Caller) -> Response:
    """Release a scheduled change (owners): after the notice period, or once all acknowledged."""
    ctx.lineage.top_up(ctx.db)  # impact is computed against what the store holds now
    with ctx.db.writing() as session:
        cr = uc.release(session, actor=actor, cr_id=cr_id, now=ctx.clock(), lineage=ctx.lineage)
    return _out(cr)


@router.get("/change-requests/{cr_id}", response_model=ChangeRequestOut)
def get_change_request(cr_id: Id, ctx: Ctx, actor: Caller) -> Response:
    """One change request (consumers see, of the people it reaches, only themselves)."""
    with ctx.db.reading() as session:
        return _out(uc.get_change_request(session, cr_id, ctx.clock(), actor))


@router.get("/change-requests/{cr_id}/migration", response_model=MigrationOut)
def get_migration(cr_id: Id, ctx: Ctx, actor: Caller) -> MigrationOut:
    """The migration path: compatibility views, the alternative, and each subscription's SQL
    rewritten (all of them for the product's owners and admins, else the caller's own)."""
    with ctx.db.reading() as session:
        return MigrationOut.model_validate(
            migration_uc.migration_of(session, cr_id, actor, runner=ctx.worker)
        )


@router.get("/change-requests", response_model=list[ChangeRequestOut])
def list_change_requests(
    ctx: Ctx,
    actor: Caller,
    page: PageQuery,
    request: Request,
    product: ProductFilter = None,
    state: Annotated[State | None, Query()] = None,
) -> Response:
    """Change requests, newest first, optionally of one product and/or one state; a page
    (`limit`, `cursor`; see `X-Next-Cursor`)."""
    with ctx.db.reading() as session:
        found = uc.list_change_requests(
            session,
            product=product,
            state=state.value if state else None,
            now=ctx.clock(),
            page=page,
            viewer=actor,
        )
    answer = Response(
        _PAGE.dump_json(_PAGE.validate_python(found.items, from_attributes=True), by_alias=True),
        media_type="application/json",
    )
    next_page(request, answer, found.next_after)
    return answer
