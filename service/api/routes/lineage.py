"""Lineage into the service: view SQL, dbt manifests and OpenLineage run events (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from sqlalchemy.orm import Session

from service.api.deps import Caller, Context, Ctx
from service.api.schemas import LineageOut, LineageSqlIn
from service.domain import printable
from service.errors import InvalidInput
from service.store.tables import LineageSourceRow
from service.usecases import lineage as uc

router = APIRouter(tags=["lineage"])


def _read(ctx: Context, session: Session, row: LineageSourceRow) -> LineageOut:
    """Read the new input into the lineage graph (in the worker, under its deadline) before
    its row is committed: an input that takes too long is refused and not stored."""
    ctx.lineage.refresh(session)
    return LineageOut(id=row.id, kind=row.kind, name=row.name)


def _clean(payload: dict[str, Any]) -> None:
    """Refuse a document with a control character or a lone surrogate in any key or string
    (its size is bounded as it arrives): PostgreSQL's JSON could not store it."""
    stack: list[Any] = [payload]
    while stack:  # a loop, not recursion: the document may nest deeply
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                printable(node)
                node.encode("utf-8")
            except (ValueError, UnicodeEncodeError) as exc:
                raise InvalidInput(f"a string of the document: {exc}") from exc


@router.post("/lineage/sql", status_code=201, response_model=LineageOut)
def lineage_sql(body: LineageSqlIn, ctx: Ctx, actor: Caller) -> LineageOut:
    """Store a view definition: `name` is produced by the SELECT in `sql`."""
    with ctx.db.writing() as session:
        row = uc.ingest_sql(
            session,
            actor=actor,
            name=body.name,
            sql=body.sql,
            dialect=body.dialect,
            limits=ctx.limits,
            now=ctx.clock(),
            runner=ctx.worker,
        )
        return _read(ctx, session, row)


@router.post("/lineage/dbt", status_code=201, response_model=LineageOut)
def lineage_dbt(
    ctx: Ctx, actor: Caller, manifest: Annotated[dict[str, Any], Body(description="manifest.json")]
) -> LineageOut:
    """Store a dbt manifest.json."""
    _clean(manifest)
    with ctx.db.writing() as session:
        row = uc.ingest_dbt(session, actor=actor, manifest=manifest, now=ctx.clock())
        return _read(ctx, session, row)


@router.post("/api/v1/lineage", status_code=201, response_model=LineageOut)
def lineage_openlineage(
    ctx: Ctx,
    actor: Caller,
    event: Annotated[dict[str, Any], Body(description="an OpenLineage RunEvent")],
) -> LineageOut:
    """Store an OpenLineage run event (the path Marquez serves)."""
    _clean(event)
    with ctx.db.writing() as session:
        row = uc.ingest_openlineage(session, actor=actor, event=event, now=ctx.clock())
        return _read(ctx, session, row)
