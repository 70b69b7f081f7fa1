"""Products and their versions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Response

from service.api.deprecation import deprecation_headers
from service.api.deps import Caller, Ctx
from service.api.schemas import (
    ProductIn,
    ProductName,
    ProductOut,
    VersionDetailOut,
    VersionOut,
)
from service.usecases import products as uc

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
            limits=ctx.limits,
            now=ctx.clock(),
        )
    if body.sql is not None:
        with ctx.db.reading() as session:
            ctx.lineage.refresh(session)
    return ProductOut.model_validate(product)


@router.get("/products", response_model=list[ProductOut])
def list_products(ctx: Ctx, _actor: Caller) -> list[ProductOut]:
    """Every product."""
    with ctx.db.reading() as session:
        return [ProductOut.model_validate(p) for p in uc.list_products(session)]


@router.get("/products/{name}", response_model=ProductOut)
def get_product(name: ProductName, ctx: Ctx, _actor: Caller) -> ProductOut:
    """One product."""
    with ctx.db.reading() as session:
        return ProductOut.model_validate(uc.get_product(session, name))


@router.get("/products/{name}/versions", response_model=list[VersionOut])
def list_versions(name: ProductName, ctx: Ctx, _actor: Caller) -> list[VersionOut]:
    """A product's versions, oldest first."""
    with ctx.db.reading() as session:
        return [VersionOut.model_validate(v) for v in uc.list_versions(session, name)]


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
    """One version (or `current`): its schema as JSON and as DDL in the product's dialect."""
    with ctx.db.reading() as session:
        found, ddl = uc.get_version(session, name, version)
        response.headers.update(deprecation_headers(name, found, uc.list_versions(session, name)))
    return VersionDetailOut.model_validate({**asdict(found), "ddl": ddl})
