"""Stateless diff, the audit log and the health check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError

from service.api.bodies import InvalidBody, diff_answer, json_body
from service.api.deps import Caller, Ctx, PageQuery, next_page
from service.api.schemas import AuditOut, DiffIn, ProductFilter
from service.usecases import products as uc

router = APIRouter()


async def _raw_body(request: Request) -> bytes:
    return await request.body()


#: the request body as bytes, read (and bounded) before the token is looked at, as a body
#: FastAPI decodes itself is
RawBody = Annotated[bytes, Depends(_raw_body)]


@router.get("/health", tags=["meta"])
def health(ctx: Ctx) -> dict[str, str]:
    """Liveness: no database, no authentication; `mail` says whether the SMTP server answered
    when the server started (`reachable`, `unreachable`, or `unchecked`)."""
    return {"status": "ok", "mail": ctx.mail}


@router.post("/diff", tags=["diff"], response_model=dict[str, Any], openapi_extra=json_body(DiffIn))
async def diff(raw: RawBody, ctx: Ctx, _actor: Caller) -> Response:
    """Compare two schemas; the same JSON as `steward diff --format json`. The body is
    decoded, checked and compared, and the answer encoded, in a parse worker (see
    service/api/bodies.py): the API's event loop only moves bytes."""
    try:
        answer = await ctx.worker.run_async(diff_answer, raw, ctx.limits.max_schema_bytes)
    except InvalidBody as exc:
        raise RequestValidationError(exc.details["errors"]) from exc
    return Response(answer, media_type="application/json")


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
