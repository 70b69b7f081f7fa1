"""The migration path of a change request: views, alternative, each subscription's SQL rewritten.

Computed when a change is proposed (stored with it, so notices carry what was announced)
and again on `GET /change-requests/{id}/migration` (with the subscriptions as they are now).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlglot.errors import SqlglotError

from service.diff.hints import resolve_rename_map
from service.domain import Principal, SemVer
from service.errors import InvalidInput
from service.migrate import Migration, migrate
from service.schema.model import Schema
from service.store import queries as q
from service.store.tables import ChangeRequestRow, PrincipalRow, SubscriptionRow
from service.usecases.common import roles_of, stored_schema
from service.workflow import may


def subscription_sql(session: Session, product_id: int) -> list[tuple[int, str, str]]:
    """(id, consumer email, SQL) of each subscription of the product that registered SQL."""
    rows = session.execute(
        select(SubscriptionRow.id, PrincipalRow.email, SubscriptionRow.sql)
        .join(PrincipalRow, PrincipalRow.id == SubscriptionRow.consumer_id)
        .where(SubscriptionRow.product_id == product_id, SubscriptionRow.sql.is_not(None))
        .order_by(SubscriptionRow.id)
    )
    return [(i, e, s) for i, e, s in rows if s]


def plan(
    old: Schema,
    new: Schema,
    renames: dict[str, str],
    base_version: str,
    subscriptions: list[tuple[int, str, str]],
) -> Migration:
    """The migration path for these subscriptions' SQL, each distinct text rewritten once.

    SQL that no longer parses is a break, not an error.
    """
    distinct = list(dict.fromkeys(sql for _, _, sql in subscriptions))
    return migrate(
        old,
        new,
        renames=renames,
        consumers=[(str(n), sql) for n, sql in enumerate(distinct)],
        old_major=SemVer.parse(base_version).major,
        strict=False,
    )


def to_json(found: Migration, subscriptions: list[tuple[int, str, str]]) -> dict[str, Any]:
    """The stored and served form: each subscription with the result for its SQL."""
    data = found.to_json()
    results = data.pop("consumers")
    index = {sql: n for n, sql in enumerate(dict.fromkeys(sql for _, _, sql in subscriptions))}
    data["consumers"] = [
        {
            "subscription": sub,
            "consumer": email,
            **{k: v for k, v in results[index[sql]].items() if k != "file"},
        }
        for sub, email, sql in subscriptions
    ]
    return data


def for_proposal(
    session: Session,
    product_id: int,
    old: Schema,
    new: Schema,
    renames: dict[str, str],
    base_version: str,
) -> dict[str, Any] | None:
    """The migration a new change request stores (its changes are stored beside it).

    None when sqlglot cannot write SQL for it: a proposal is never refused for its
    migration path, which `GET /change-requests/{id}/migration` then explains.
    """
    subs = subscription_sql(session, product_id)
    try:
        data = to_json(plan(old, new, renames, base_version, subs), subs)
    except SqlglotError:
        return None
    data.pop("changes")
    return data


def migration_of(session: Session, cr_id: int, viewer: Principal) -> dict[str, Any]:
    """The whole migration object of a change request, for its subscriptions as they are now:
    every subscription's SQL for the product's owners and admins, else the viewer's own."""
    cr: ChangeRequestRow = q.change_request_row(session, cr_id)
    base = next(v for v in q.version_rows(session, cr.product_id) if v.version == cr.base_version)
    old = stored_schema(base.source, cr.product.dialect)
    new = stored_schema(cr.source, cr.product.dialect)
    subs = subscription_sql(session, cr.product_id)
    if not may("read_subscribers", roles_of(cr.product, viewer)):
        subs = [(i, email, sql) for i, email, sql in subs if email == viewer.email]
    renames = resolve_rename_map({str(k): str(v) for k, v in (cr.renames or {}).items()}, old)
    try:
        return to_json(plan(old, new, renames, cr.base_version, subs), subs)
    except SqlglotError as exc:
        raise InvalidInput(f"no migration path can be written for this change: {exc}") from exc
