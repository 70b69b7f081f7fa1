"""Registering and reading products and their versions; reading the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.domain import (
    DEFAULT_REMINDERS,
    Page,
    Paged,
    Principal,
    Product,
    Role,
    SemVer,
    State,
    Version,
    parse_duration,
    parse_reminders,
)
from service.errors import Conflict, InvalidInput, NotFound, SchemaParseError
from service.schema import parse_schema, render_ddl, resolve_dialect
from service.schema.model import Schema
from service.store import queries as q
from service.store.tables import AuditRow, ChangeRequestRow, MemberRow, ProductRow, VersionRow
from service.usecases.auth import admitted, required
from service.usecases.common import Inline, Limits, Runner, actor_row, roles_of, stored_schema
from service.usecases.reads import columns_read
from service.workflow import ADMIN, authorize, check_period_edit

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
    waive_notice_without_readers: bool = False,
    runner: Runner | None = None,
) -> Product:
    """Register a product at version 1.0.0 (admins only); a name already taken is a Conflict.

    Its schema and defining SQL are read by `runner` (the API's worker with a deadline)."""
    authorize("register_product", {ADMIN} if actor.is_admin else set())
    dialect = resolve_dialect(dialect)
    parse_duration(notice_period, field="notice_period")
    parse_duration(sunset_period, field="sunset_period")
    reminders = parse_reminders(reminders)
    if not owners:
        raise InvalidInput("a product needs at least one owner", field="owners")
    parsed = (runner or Inline()).run(read_product_schema, schema, dialect, sql, limits)
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
        waive_notice_without_readers=waive_notice_without_readers,
        created_at=now,
    )
    _add_members(session, product, owners, maintainers, now)
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


@dataclass(frozen=True, slots=True)
class ProductEdit:
    """What a PATCH changes; None leaves a field as it is."""

    description: str | None = None
    owners: tuple[str, ...] | None = None
    maintainers: tuple[str, ...] | None = None
    notice_period: str | None = None
    sunset_period: str | None = None
    reminders: tuple[str, ...] | None = None
    require_distinct_approver: bool | None = None
    waive_notice_without_readers: bool | None = None
    slas: tuple[tuple[str, str], ...] | None = None


def edit_product(
    session: Session, *, actor: Principal, name: str, edit: ProductEdit, now: datetime
) -> Product:
    """Change a product's description, people, periods, reminders, flags or SLAs (owners and
    admins); audited with before and after. A period is not shortened while a change is
    scheduled, so no announced date moves earlier."""
    row = q.product_row(session, name, for_update=True)
    roles = q.roles_on(row, actor.id) | ({ADMIN} if actor.is_admin else set())
    authorize("edit_product", roles)
    before = _product_json(q.to_product(row, q.current_version_row(session, row.id)))
    scheduled = (
        session.scalars(
            select(ChangeRequestRow.id).where(
                ChangeRequestRow.product_id == row.id,
                ChangeRequestRow.state == State.SCHEDULED.value,
            )
        ).first()
        is not None
    )
    for field in ("notice_period", "sunset_period"):
        text = getattr(edit, field)
        if text is not None:
            check_period_edit(
                field=field,
                old=parse_duration(getattr(row, field), field=field),
                new=parse_duration(text, field=field),
                scheduled=scheduled,
            )
            setattr(row, field, text)
    if edit.reminders is not None:
        row.reminders = list(parse_reminders(list(edit.reminders)))
    if edit.description is not None:
        row.description = edit.description
    if edit.require_distinct_approver is not None:
        row.require_distinct_approver = edit.require_distinct_approver
    if edit.waive_notice_without_readers is not None:
        row.waive_notice_without_readers = edit.waive_notice_without_readers
    if edit.slas is not None:
        row.slas = dict(edit.slas)
    if edit.owners is not None or edit.maintainers is not None:
        current = q.to_product(row, "")
        owners = list(edit.owners if edit.owners is not None else current.owners)
        maintainers = list(
            edit.maintainers if edit.maintainers is not None else current.maintainers
        )
        if not owners:
            raise InvalidInput("a product needs at least one owner", field="owners")
        row.members.clear()
        session.flush()
        _add_members(session, row, owners, maintainers, now)
    session.flush()
    result = q.to_product(row, q.current_version_row(session, row.id))
    q.audit(
        session,
        actor=actor_row(session, actor),
        action="product.edit",
        entity="product",
        entity_id=row.id,
        product_id=row.id,
        now=now,
        before=before,
        after=_product_json(result),
    )
    return result


def _add_members(
    session: Session, product: ProductRow, owners: list[str], maintainers: list[str], now: datetime
) -> None:
    """Owners, then maintainers, in order; a person named twice keeps the first role."""
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


def read_product_schema(schema: str, dialect: str, sql: str | None, limits: Limits) -> Schema:
    """A new product's schema as read; its defining SQL, if any, must parse (the unit
    registering runs in a worker, under its deadline)."""
    parsed = parse_schema(
        schema, dialect=dialect, source="schema", max_bytes=limits.max_schema_bytes
    )
    if sql is None:
        return parsed
    if len(sql.encode()) > limits.max_sql_bytes:
        raise InvalidInput(f"sql is larger than {limits.max_sql_bytes:,} bytes", field="sql")
    try:
        columns_read(sql, dialect, [])
    except SchemaParseError as exc:
        raise SchemaParseError(f"sql: {exc.message}", dialect=dialect) from exc
    return parsed


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
        "waive_notice_without_readers": product.waive_notice_without_readers,
        "slas": dict(product.slas),
        "version": product.current_version,
    }


def list_products(session: Session, page: Page | None = None) -> Paged[Product]:
    """Products by name, a page at a time."""
    page = page or Page()
    found = session.scalars(q.keyset(select(ProductRow), ProductRow.name, page)).all()
    rows, after = q.page_of(found, page, lambda r: r.name)
    current = q.current_versions(session, [r.id for r in rows])
    return Paged([q.to_product(r, current[r.id]) for r in rows if r.id in current], after)


def get_product(session: Session | Connection, name: str) -> Product:
    """One product with its current version."""
    return q.product_by_name(session, name)


def get_product_as(
    connection: Connection, token: str | None, name: str, now: datetime
) -> tuple[Principal, Product]:
    """The holder of `token` (checked as `authenticate` checks it) and one product, read in
    ONE statement: the busiest read, at one round trip."""
    holder, product = q.holder_and_product(connection, required(token), name)
    return admitted(holder, now), product()


def list_versions(session: Session, name: str, page: Page | None = None) -> Paged[Version]:
    """A page of a product's versions, oldest first (PAGE None: all of them; a version's id
    grows with its number, as each is a bump of the one before)."""
    row = q.product_row(session, name)
    query = select(VersionRow).where(VersionRow.product_id == row.id)
    rows, after = q.rows_of_page(session, query, VersionRow.id, page)
    return Paged([q.to_version(v) for v in rows], after)


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
    session: Session, *, viewer: Principal, product: str | None, page: Page | None = None
) -> Paged[dict[str, Any]]:
    """Audit records, newest first, a page: one product's for its owners and admins, all for
    admins."""
    page = page or Page()
    query = select(AuditRow)
    if product is None:
        authorize("read_audit", {ADMIN} if viewer.is_admin else set())
    else:
        row = q.product_row(session, product)
        authorize("read_audit", roles_of(row, viewer))
        query = query.where(AuditRow.product_id == row.id)
    found = session.scalars(q.keyset(query, AuditRow.id, page, descending=True)).all()
    rows, after = q.page_of(found, page, lambda r: r.id)
    return Paged(_audit_items(rows), after)


def _audit_items(rows: Sequence[AuditRow]) -> list[dict[str, Any]]:
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
        for r in rows
    ]
