"""Retiring a whole product, announced like a breaking change: every reader is told, the
notice period runs from delivery, and at the effective date every version is gone (410)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import RETIREMENT, ChangeRequest, NoticeKind, Principal, State
from service.errors import Conflict, StewardError
from service.impact import Contact, Impact, Reader
from service.store import queries as q
from service.store.tables import ChangeRequestRow, ProductRow
from service.usecases.changes import view
from service.usecases.common import actor_row, stored_schema
from service.usecases.impact import subscription_node
from service.usecases.notices import write_notices
from service.usecases.reads import columns_read
from service.workflow import ADMIN, authorize


def retire_product(
    session: Session, *, actor: Principal, name: str, reason: str | None, now: datetime
) -> ChangeRequest:
    """Announce the product's retirement (owners and admins): a scheduled change request of
    kind `retirement` reaching every subscriber and downstream product; released at its date."""
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
    why = f"{name} is retired: every version stops answering on the effective date"
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
        changes=[
            {
                "kind": "product_retired",
                "table": name,
                "column": None,
                "columns": [],
                "before": current.version,
                "after": None,
                "verdict": "breaking",
                "writer_verdict": "breaking",
                "reason": why + (f" ({reason})" if reason else "") + ".",
            }
        ],
        impact=_everyone(session, row, current.source),
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


def _everyone(session: Session, product: ProductRow, source: str) -> dict[str, Any]:
    """The impact of a retirement: every subscription, every product whose SQL reads it."""
    kinds = ("product_retired",)
    readers = [
        Reader(
            kind="subscription",
            name=subscription_node(sub.id),
            subscription=sub.id,
            reads=tuple(sorted(sub.columns or ())),
            kinds=kinds,
            breaking=True,
            stops_working=True,
            contacts=(Contact(email=sub.email, role="subscriber"),),
        )
        for sub in q.subscription_reads(session, product.id)
    ]
    schema = stored_schema(source, product.dialect)
    others = session.scalars(
        select(ProductRow).where(ProductRow.defining_sql.is_not(None), ProductRow.id != product.id)
    ).all()
    for other in others:
        try:
            read = sorted(columns_read(other.defining_sql or "", other.dialect, [schema]))
        except StewardError:
            continue  # a defining SQL that no longer parses reaches nobody we can name
        if read:
            owners = sorted(m.principal.email for m in other.members if m.role == "owner")
            readers.append(
                Reader(
                    kind="product",
                    name=other.name,
                    product=other.name,
                    reads=tuple(read),
                    kinds=kinds,
                    breaking=True,
                    stops_working=True,
                    contacts=tuple(Contact(email=o, role="product owner") for o in owners),
                )
            )
    return Impact(readers=tuple(readers)).to_stored()
