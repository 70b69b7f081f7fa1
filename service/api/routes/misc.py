"""Stateless diff, the audit log and the health check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.api.deps import Caller, Ctx
from service.api.schemas import AuditOut, DiffIn, ProductFilter
from service.diff import diff_schemas
from service.diff.report import report
from service.schema import parse_schema
from service.usecases import products as uc

router = APIRouter()


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    """Liveness: no database, no authentication."""
    return {"status": "ok"}


@router.post("/diff", tags=["diff"])
def diff(body: DiffIn, ctx: Ctx, _actor: Caller) -> dict[str, Any]:
    """Compare two schemas; the same JSON as `steward diff --format json`."""
    limit = ctx.limits.max_schema_bytes
    old = parse_schema(body.old, dialect=body.dialect, source="old", max_bytes=limit)
    new = parse_schema(body.new, dialect=body.dialect, source="new", max_bytes=limit)
    return report(diff_schemas(old, new, renames=body.renames or {}))


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
