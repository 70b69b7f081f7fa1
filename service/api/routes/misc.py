"""Stateless diff, the audit log and the health check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.api.deps import Caller, Ctx
from service.api.schemas import AuditOut, DiffIn, ProductFilter
from service.diff.compare import compare_report
from service.usecases import products as uc

router = APIRouter()


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    """Liveness: no database, no authentication."""
    return {"status": "ok"}


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
    product: ProductFilter = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[AuditOut]:
    """Audit records, newest first: one product's (its owners and admins), or all (admins)."""
    with ctx.db.reading() as session:
        return [
            AuditOut.model_validate(r)
            for r in uc.list_audit(session, viewer=actor, product=product, limit=limit)
        ]
