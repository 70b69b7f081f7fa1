"""Registering and reading products and their versions; reading the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.domain import (
    DEFAULT_REMINDERS,
    Principal,
    Product,
    Role,
    SemVer,
    Version,
    parse_duration,
    parse_reminders,
)
from service.errors import Conflict, InvalidInput, NotFound, SchemaParseError
from service.schema import parse_schema, render_ddl, resolve_dialect
from service.store import queries as q
from service.store.tables import AuditRow, MemberRow, ProductRow, VersionRow
from service.usecases.common import Limits, actor_row, roles_of, stored_schema
from service.usecases.reads import columns_read
from service.workflow import ADMIN, authorize

FIRST_VERSION = SemVer(1, 0, 0)


def register_product(
    session: Session,
    *,
    actor: Principal,
    name: str,
    description: str,
    owners: list[str],
    maintainers: list[str],
    dialect: str,
    schema: str,
    notice_period: str,
    sunset_period: str,
    require_distinct_approver: bool,
    sql: str | None,
    limits: Limits,
    now: datetime,
    reminders: list[str] | tuple[str, ...] = DEFAULT_REMINDERS,
) -> Product:
    """Register a product at version 1.0.0 (admins only); a name already taken is a Conflict."""
    authorize("register_product", {ADMIN} if actor.is_admin else set())
    dialect = resolve_dialect(dialect)
    parse_duration(notice_period, field="notice_period")
    parse_duration(sunset_period, field="sunset_period")
    reminders = parse_reminders(reminders)
    if not owners:
        raise InvalidInput("a product needs at least one owner", field="owners")
    parsed = parse_schema(
        schema, dialect=dialect, source="schema", max_bytes=limits.max_schema_bytes
    )
    if sql is not None:
        _check_defining_sql(session, sql, dialect, limits)
    if session.scalars(select(ProductRow.id).where(ProductRow.name == name)).first() is not None:
        raise Conflict(f"a product named {name!r} already exists", product=name)
    product = ProductRow(
        name=name,
        description=description,
        dialect=dialect,
        notice_period=notice_period,
        sunset_period=sunset_period,
        require_distinct_approver=require_distinct_approver,
        defining_sql=sql,
        reminders=list(reminders),
        created_at=now,
    )
    seen: set[int] = set()
    for position, (email, role) in enumerate(
        [(e, Role.OWNER) for e in owners] + [(e, Role.MAINTAINER) for e in maintainers]
    ):
        principal = q.ensure_principal(session, email, now)
        if principal.id not in seen:
            seen.add(principal.id)
            product.members.append(
                MemberRow(principal_id=principal.id, role=role.value, position=position)
            )
    session.add(product)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a product named {name!r} already exists", product=name) from exc
    version = VersionRow(
        product_id=product.id,
        major=FIRST_VERSION.major,
        minor=FIRST_VERSION.minor,
        patch=FIRST_VERSION.patch,
        schema_json=parsed.to_json(),
        source=schema,
        published_at=now,
    )
    session.add(version)
    session.flush()
    result = q.to_product(product, version)
    q.audit(
        session,
        actor=actor_row(session, actor),
        action="product.register",
        entity="product",
        entity_id=product.id,
        product_id=product.id,
        now=now,
        after=_product_json(result),
    )
    return result


def _check_defining_sql(session: Session, sql: str, dialect: str, limits: Limits) -> None:
    """A defining SQL must parse; the products it reads are found from their schemas."""
    if len(sql.encode()) > limits.max_sql_bytes:
        raise InvalidInput(f"sql is larger than {limits.max_sql_bytes:,} bytes", field="sql")
    try:
        columns_read(sql, dialect, [])
    except SchemaParseError as exc:
        raise SchemaParseError(f"sql: {exc.message}", dialect=dialect) from exc


def _product_json(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "description": product.description,
        "dialect": product.dialect,
        "owners": list(product.owners),
        "maintainers": list(product.maintainers),
        "notice_period": product.notice_period,
        "sunset_period": product.sunset_period,
        "require_distinct_approver": product.require_distinct_approver,
        "reminders": list(product.reminders),
        "version": product.current_version,
    }


def list_products(session: Session) -> list[Product]:
    """Every product, by name."""
    rows = session.scalars(select(ProductRow).order_by(ProductRow.name)).all()
    current = q.current_versions(session, [r.id for r in rows])
    return [q.to_product(r, current[r.id]) for r in rows if r.id in current]


def get_product(session: Session, name: str) -> Product:
    """One product with its current version."""
    row = q.product_row(session, name)
    return q.to_product(row, q.current_version_number(session, row.id))


def list_versions(session: Session, name: str) -> list[Version]:
    """A product's versions, oldest first."""
    row = q.product_row(session, name)
    return [q.to_version(v) for v in q.version_rows(session, row.id)]


def get_version(session: Session, name: str, version: str) -> tuple[Version, str]:
    """One version of a product and its schema rendered as DDL in the product's dialect."""
    row = q.product_row(session, name)
    wanted = SemVer.parse(version) if version != "current" else None
    for v in reversed(q.version_rows(session, row.id)):
        if wanted is None or (v.major, v.minor, v.patch) == (
            wanted.major,
            wanted.minor,
            wanted.patch,
        ):
            ddl = render_ddl(stored_schema(v.source, row.dialect), row.dialect)
            return q.to_version(v), ddl
    raise NotFound(f"product {name!r} has no version {version}", product=name, version=version)


def list_audit(
    session: Session, *, viewer: Principal, product: str | None, limit: int = 500
) -> list[dict[str, Any]]:
    """Audit records, newest first: one product's for its owners and admins, all for admins."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if product is None:
        authorize("read_audit", {ADMIN} if viewer.is_admin else set())
    else:
        row = q.product_row(session, product)
        authorize("read_audit", roles_of(row, viewer))
        query = query.where(AuditRow.product_id == row.id)
    return [
        {
            "id": r.id,
            "at": r.at,
            "actor": r.actor,
            "action": r.action,
            "entity": r.entity,
            "entity_id": r.entity_id,
            "before": r.before,
            "after": r.after,
        }
        for r in session.scalars(query)
    ]
