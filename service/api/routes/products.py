"""Products and their versions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from service.api.deprecation import deprecation_headers, successor_url
from service.api.deps import Caller, Context, Credentials, Ctx, PageQuery, next_page, token_of
from service.api.schemas import (
    ChangeRequestOut,
    CheckIn,
    CheckOut,
    DecisionIn,
    ProductIn,
    ProductName,
    ProductOut,
    ProductPatch,
    VersionDetailOut,
    VersionOut,
)
from service.errors import Gone
from service.usecases import products as uc
from service.usecases.check import check_schema
from service.usecases.retirement import retire_product
from service.workflow import retired

router = APIRouter(tags=["products"])


@router.post("/products", status_code=201, response_model=ProductOut)
def register_product(body: ProductIn, ctx: Ctx, actor: Caller) -> ProductOut:
    """Register a data product at version 1.0.0 (admins only)."""
    with ctx.db.writing() as session:
        product = uc.register_product(
            session,
            actor=actor,
            name=body.name,
            description=body.description,
            owners=body.owners,
            maintainers=body.maintainers,
            dialect=body.dialect,
            schema=body.schema_,
            notice_period=body.notice_period,
            sunset_period=body.sunset_period,
            require_distinct_approver=body.require_distinct_approver,
            sql=body.sql,
            reminders=body.reminders,
            waive_notice_without_readers=body.waive_notice_without_readers,
            limits=ctx.limits,
            now=ctx.clock(),
            runner=ctx.worker,
        )
        if body.sql is not None:  # its view read into lineage (in the worker) before commit
            ctx.lineage.refresh(session)
    return ProductOut.model_validate(product)


@router.get("/products", response_model=list[ProductOut])
def list_products(
    ctx: Ctx, _actor: Caller, page: PageQuery, request: Request, response: Response
) -> list[ProductOut]:
    """Products by name, a page at a time (`limit`, `cursor`; see `X-Next-Cursor`)."""
    with ctx.db.reading() as session:
        found = uc.list_products(session, page)
    next_page(request, response, found.next_after)
    return [ProductOut.model_validate(p) for p in found.items]


@router.get("/products/{name}", response_model=ProductOut)
async def get_product(name: ProductName, ctx: Ctx, credentials: Credentials) -> Response:
    """One product."""
    # The busiest read: the token and the product in ONE statement, in ONE call to the
    # thread pool (a `Caller` dependency would cost a second of each).
    return await run_in_threadpool(_product_json, ctx, credentials, name)


def _product_json(ctx: Context, credentials: Credentials, name: str) -> Response:
    token = token_of(credentials)

    def read(connection: Connection) -> ProductOut:
        _, product = uc.get_product_as(connection, token, name, ctx.clock())
        return ProductOut.model_validate(product)

    product = ctx.db.read(read)
    # Built and checked once here: returned as a model, FastAPI would dump, re-validate
    # and serialise it again.
    return Response(product.model_dump_json(), media_type="application/json")


@router.patch("/products/{name}", response_model=ProductOut)
def edit_product(name: str, body: ProductPatch, ctx: Ctx, actor: Caller) -> ProductOut:
    """Change a product's description, owners, maintainers, periods, reminders, flags or SLAs
    (its owners and admins); audited. Periods are not shortened while a change is scheduled."""
    edit = uc.ProductEdit(
        description=body.description,
        owners=tuple(body.owners) if body.owners is not None else None,
        maintainers=tuple(body.maintainers) if body.maintainers is not None else None,
        notice_period=body.notice_period,
        sunset_period=body.sunset_period,
        reminders=tuple(body.reminders) if body.reminders is not None else None,
        require_distinct_approver=body.require_distinct_approver,
        waive_notice_without_readers=body.waive_notice_without_readers,
        slas=tuple(body.slas.items()) if body.slas is not None else None,
    )
    with ctx.db.writing() as session:
        product = uc.edit_product(session, actor=actor, name=name, edit=edit, now=ctx.clock())
    return ProductOut.model_validate(product)


@router.post("/products/{name}/retire", response_model=ChangeRequestOut)
def retire(
    name: str, ctx: Ctx, actor: Caller, body: Annotated[DecisionIn | None, Body()] = None
) -> ChangeRequestOut:
    """Announce the product's retirement (owners and admins), like a breaking change removing
    every table: every reader lineage knows gets a deprecation notice; at the effective date
    every version answers 410."""
    ctx.lineage.top_up(ctx.db)
    with ctx.db.writing() as session:
        cr = retire_product(
            session,
            actor=actor,
            name=name,
            reason=body.reason if body else None,
            now=ctx.clock(),
            lineage=ctx.lineage,
        )
    return ChangeRequestOut.model_validate(cr)


@router.post("/products/{name}/check", response_model=CheckOut)
def check(name: str, body: CheckIn, ctx: Ctx, _actor: Caller) -> CheckOut:
    """The CI gate: may this schema ship now? Passes when it is the current schema, compatible
    with it, or the schema of an approved change request whose effective date has come."""
    with ctx.db.reading() as session:
        result = check_schema(
            session,
            product=name,
            schema=body.schema_,
            renames=body.renames,
            limits=ctx.limits,
            now=ctx.clock(),
            runner=ctx.worker,
        )
    return CheckOut.model_validate(result)


@router.get("/products/{name}/versions", response_model=list[VersionOut])
def list_versions(
    name: ProductName,
    ctx: Ctx,
    _actor: Caller,
    page: PageQuery,
    request: Request,
    response: Response,
) -> list[VersionOut]:
    """A product's versions, oldest first; a page (`limit`, `cursor`; see `X-Next-Cursor`)."""
    with ctx.db.reading() as session:
        found = uc.list_versions(session, name, page)
    next_page(request, response, found.next_after)
    return [VersionOut.model_validate(v) for v in found.items]


@router.get(
    "/products/{name}/versions/{version}",
    response_model=VersionDetailOut,
    response_model_by_alias=True,
)
def get_version(
    name: ProductName,
    version: Annotated[str, Path(max_length=40)],
    ctx: Ctx,
    _actor: Caller,
    response: Response,
) -> VersionDetailOut:
    """One version (or `current`): its schema as JSON and as DDL in the product's dialect;
    410 Gone with the successor's link once its sunset has passed."""
    with ctx.db.reading() as session:
        found, ddl = uc.get_version(session, name, version)
        versions = uc.list_versions(session, name).items
        headers = deprecation_headers(name, found, versions)
    if retired(found.sunset_at, ctx.clock()):
        raise Gone(
            f"version {found.version} of {name!r} was retired at its sunset",
            headers=headers,
            product=name,
            version=found.version,
            sunset_at=found.sunset_at.isoformat() if found.sunset_at else None,
            successor=successor_url(name, found, versions),
        )
    response.headers.update(headers)
    return VersionDetailOut.model_validate({**asdict(found), "ddl": ddl})
