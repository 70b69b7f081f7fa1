"""The CI gate: may this schema ship for this product now, given what the workflow approved?"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.diff import decide, diff_schemas
from service.diff.report import report
from service.domain import CheckResult, State
from service.schema.model import Schema
from service.store import queries as q
from service.store.tables import ChangeRequestRow
from service.usecases.common import Inline, Limits, Runner, compare_with_stored, stored_schema
from service.usecases.notices import effective_at

_APPROVED = (State.SCHEDULED.value, State.RELEASED.value, State.APPROVED.value)


def check_schema(
    session: Session,
    *,
    product: str,
    schema: str,
    renames: dict[str, str] | None,
    limits: Limits,
    now: datetime,
    runner: Runner | None = None,
) -> CheckResult:
    """Pass when `schema` is the current one, compatible with it, or the schema of a change
    request that was approved and whose effective date has come; otherwise say what to do
    (the schema read and diffed by `runner`: the API's worker with a deadline)."""
    row = q.product_row(session, product)
    current = q.current_version_row(session, row.id)
    found = (runner or Inline()).run(
        compare_with_stored,
        current.source,
        schema,
        dialect=row.dialect,
        renames=renames,
        max_bytes=limits.max_schema_bytes,
    )
    new, changes = found.new, found.changes
    data: dict[str, Any] = report(changes)

    def answer(
        passed: bool,
        verdict: str,
        message: str,
        cr: int | None = None,
        when: datetime | None = None,
    ) -> CheckResult:
        return CheckResult(passed, verdict, message, row.name, current.version, data, cr, when)

    if not changes.changes:
        return answer(True, "current", f"the schema is {row.name} {current.version}, current")
    if not decide(changes).blocks():
        return answer(True, "compatible", f"compatible with {row.name} {current.version}")
    match = _matching_request(session, row.id, row.dialect, new)
    if match is None:
        return answer(
            False,
            "unannounced",
            f"breaking for readers of {row.name} {current.version}, and no change request "
            f"proposes this schema: open one (POST /products/{row.name}/change-requests)",
        )
    if match.state == State.PROPOSED.value:
        return answer(
            False,
            "awaiting_approval",
            f"change request #{match.id} proposes this schema but is not approved yet",
            match.id,
        )
    when, _ = effective_at(session, match, row, now)
    if match.state == State.RELEASED.value or (when is not None and when <= now):
        return answer(
            True,
            "approved",
            f"change request #{match.id} was approved and its effective date has come",
            match.id,
            when or match.released_at,
        )
    wait = when.isoformat() if when else "a date set once its deprecation notice is delivered"
    return answer(
        False,
        "waiting",
        f"change request #{match.id} is approved; it may ship from {wait}",
        match.id,
        when,
    )


def _matching_request(
    session: Session, product_id: int, dialect: str, new: Schema
) -> ChangeRequestRow | None:
    """The newest approved (else proposed) change request whose schema is exactly `new`."""
    rows = session.scalars(
        select(ChangeRequestRow)
        .where(
            ChangeRequestRow.product_id == product_id,
            ChangeRequestRow.state.in_((*_APPROVED, State.PROPOSED.value)),
        )
        .order_by(ChangeRequestRow.id.desc())
    ).all()
    same = [r for r in rows if not diff_schemas(stored_schema(r.source, dialect), new).changes]
    approved = [r for r in same if r.state in _APPROVED]
    chosen = approved or same
    return chosen[0] if chosen else None
