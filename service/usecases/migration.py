"""The migration path of a change request: views, alternative, each subscription's SQL rewritten.

Computed when a change is proposed (stored with it, so notices carry what was announced)
and again on `GET /change-requests/{id}/migration` (with the subscriptions as they are now).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlglot.errors import SqlglotError

from service.diff.compare import Comparison
from service.diff.hints import resolve_rename_map
from service.domain import Principal, SemVer
from service.errors import InvalidInput
from service.migrate import Migration, migrate
from service.schema.model import Schema
from service.store import queries as q
from service.store.tables import ChangeRequestRow, PrincipalRow, SubscriptionRow
from service.usecases.common import Inline, Runner, compare_with_stored, roles_of, stored_schema
from service.workflow import may

#: (id, consumer email, SQL) of the subscriptions that registered SQL
Subscriptions = list[tuple[int, str, str]]


def subscription_sql(session: Session, product_id: int) -> Subscriptions:
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
    subscriptions: Subscriptions,
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


def to_json(found: Migration, subscriptions: Subscriptions) -> dict[str, Any]:
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


@dataclass(frozen=True, slots=True)
class Proposed:
    """What a proposal's heavy step finds: the comparison with the current schema, and the
    migration path (None when there are no changes, or sqlglot cannot write SQL for it)."""

    comparison: Comparison
    migration: Migration | None


def read_proposal(
    current_source: str,
    schema: str,
    *,
    dialect: str,
    renames: dict[str, str],
    max_bytes: int,
    base_version: str,
    subscriptions: Subscriptions,
) -> Proposed:
    """Read a proposed schema, diff it against the current version's source and plan the
    migration of the subscriptions' SQL: the unit a proposal runs in a worker, under its
    deadline (pure: no database; only typed values cross back)."""
    found = compare_with_stored(
        current_source, schema, dialect=dialect, renames=renames, max_bytes=max_bytes
    )
    if not found.changes.changes:
        return Proposed(found, None)
    try:
        path = plan(found.old, found.new, dict(found.renames), base_version, subscriptions)
    except SqlglotError:
        # a proposal is never refused for its migration path, which
        # `GET /change-requests/{id}/migration` then explains
        return Proposed(found, None)
    return Proposed(found, path)


def stored_form(found: Migration | None, subscriptions: Subscriptions) -> dict[str, Any] | None:
    """The migration a new change request stores (its changes are stored beside it), or None
    when none could be written."""
    if found is None:
        return None
    data = to_json(found, subscriptions)
    data.pop("changes")
    return data


def read_migration(
    base_source: str,
    source: str,
    *,
    dialect: str,
    renames: dict[str, str],
    base_version: str,
    subscriptions: Subscriptions,
) -> Migration:
    """The migration path between two stored sources for these subscriptions: the unit
    `GET /change-requests/{id}/migration` runs in a worker, under its deadline."""
    old = stored_schema(base_source, dialect)
    new = stored_schema(source, dialect)
    hints = resolve_rename_map(renames, old)
    try:
        return plan(old, new, hints, base_version, subscriptions)
    except SqlglotError as exc:
        raise InvalidInput(f"no migration path can be written for this change: {exc}") from exc


def migration_of(
    session: Session, cr_id: int, viewer: Principal, runner: Runner | None = None
) -> dict[str, Any]:
    """The whole migration object of a change request, for its subscriptions as they are now:
    every subscription's SQL for the product's owners and admins, else the viewer's own
    (read and rewritten by `runner`: the API's worker with a deadline)."""
    cr: ChangeRequestRow = q.change_request_row(session, cr_id)
    base = next(v for v in q.version_rows(session, cr.product_id) if v.version == cr.base_version)
    subs = subscription_sql(session, cr.product_id)
    if not may("read_subscribers", roles_of(cr.product, viewer)):
        subs = [(i, email, sql) for i, email, sql in subs if email == viewer.email]
    found = (runner or Inline()).run(
        read_migration,
        base.source,
        cr.source,
        dialect=cr.product.dialect,
        renames={str(k): str(v) for k, v in (cr.renames or {}).items()},
        base_version=cr.base_version,
        subscriptions=subs,
    )
    return to_json(found, subs)
