"""Retiring a whole product, announced like a breaking change: every reader is told, the
notice period runs from delivery, and at the effective date every version is gone (410).

Its impact is the one impact engine's answer for a change set removing every table of the
current schema: every reader lineage knows of (subscriptions, downstream products, views,
dbt models and exposures, OpenLineage jobs) is reached and told, exactly as by a breaking
change that drops the tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from service.diff.engine import diff_schemas
from service.diff.model import Bump, ChangeSet, Verdict
from service.diff.report import report
from service.domain import RETIREMENT, ChangeRequest, NoticeKind, Principal, State
from service.errors import Conflict
from service.schema.model import Schema
from service.store import queries as q
from service.store.tables import ChangeRequestRow
from service.usecases.changes import view
from service.usecases.common import actor_row, stored_schema
from service.usecases.lineage import LineageIndex, product_impact
from service.usecases.notices import write_notices
from service.workflow import ADMIN, authorize


def retire_product(
    session: Session,
    *,
    actor: Principal,
    name: str,
    reason: str | None,
    now: datetime,
    lineage: LineageIndex | None = None,
) -> ChangeRequest:
    """Announce the product's retirement (owners and admins): a scheduled change request of
    kind `retirement` reaching every reader of the product (LINEAGE: the door's index);
    released at its date."""
    row = q.product_row(session, name, for_update=True)
    me = actor_row(session, actor)
    authorize("retire_product", q.roles_on(row, actor.id) | ({ADMIN} if actor.is_admin else set()))
    if row.retired_at is not None:
        raise Conflict(f"product {name!r} is already retired", product=name)
    for open_cr in q.open_change_requests(session, row.id):
        raise Conflict(
            f"product {name!r} has an open change request: #{open_cr.id} ({open_cr.state}); "
            "withdraw or finish it before retiring the product",
            open_change_request=open_cr.id,
        )
    current = q.current_version_row(session, row.id)
    old = stored_schema(current.source, row.dialect)
    changes = every_table_removed(old, name, reason)
    cr = ChangeRequestRow(
        product_id=row.id,
        open_product_id=row.id,
        kind=RETIREMENT,
        state=State.SCHEDULED.value,
        summary=f"retire {name}" + (f": {reason}" if reason else ""),
        source=current.source,
        schema_json=current.schema_json,
        renames={},
        bump="major",
        breaking=True,
        changes=report(changes)["changes"],
        impact=product_impact(session, row, changes, old, lineage).to_stored(),
        base_version=current.version,
        target_version="retired",
        proposer=me,
        approver=me,
        created_at=now,
        decided_at=now,
        decision_reason=reason,
    )
    session.add(cr)
    session.flush()
    current.deprecated_at = now
    write_notices(session, cr, NoticeKind.DEPRECATION.value, now)
    q.audit(
        session,
        actor=me,
        action="product.retire",
        entity="change_request",
        entity_id=cr.id,
        product_id=row.id,
        now=now,
        after={"state": cr.state, "reason": reason},
    )
    return view(session, cr, now)


def every_table_removed(old: Schema, name: str, reason: str | None) -> ChangeSet:
    """The retirement as the diff engine's changes: every table of OLD removed, each breaking
    (a deprecated table's removal too: its readers still lose it) and saying why."""
    why = f"{name} is retired: every version stops answering on the effective date"
    why += (f" ({reason})" if reason else "") + "."
    gone = diff_schemas(old, Schema(old.dialect))
    return ChangeSet(
        tuple(
            replace(c, verdict=Verdict.BREAKING, writer_verdict=Verdict.BREAKING, reason=why)
            for c in gone.changes
        ),
        Bump.MAJOR,
    )
