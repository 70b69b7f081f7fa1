"""Stateless diff, the audit log and the health check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from service.api.deps import Caller, Ctx, PageQuery, next_page
from service.api.schemas import AuditOut, DiffIn, ProductFilter
from service.diff.compare import compare_report
from service.usecases import products as uc

router = APIRouter()


@router.get("/health", tags=["meta"])
def health(ctx: Ctx) -> dict[str, str]:
    """Liveness: no database, no authentication; `mail` says whether the SMTP server answered
    when the server started (`reachable`, `unreachable`, or `unchecked`)."""
    return {"status": "ok", "mail": ctx.mail}


@router.post("/diff", tags=["diff"])
def diff(body: DiffIn, ctx: Ctx, _actor: Caller) -> dict[str, Any]:
    """Compare two schemas; the same JSON as `steward diff --format json`."""
    return ctx.worker.run(
        compare_report,
        body.old,
        body.new,
        dialect=body.dialect,
        renames=body.renames or {},
        max_bytes=ctx.limits.max_schema_bytes,
    )


@router.get("/audit", tags=["audit"], response_model=list[AuditOut])
def audit(
    ctx: Ctx,
    actor: Caller,
    page: PageQuery,
    request: Request,
    response: Response,
    product: ProductFilter = None,
) -> list[AuditOut]:
    """Audit records, newest first: one product's (its owners and admins), or all (admins);
    a page (`limit`, `cursor`)."""
    with ctx.db.reading() as session:
        found = uc.list_audit(session, viewer=actor, product=product, page=page)
    next_page(request, response, found.next_after)
    return [AuditOut.model_validate(r) for r in found.items]
