"""Change requests: propose, approve, reject, withdraw, acknowledge, release; one transaction each."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service.diff import decide
from service.diff.compare import compare
from service.diff.model import ChangeSet
from service.diff.report import report
from service.domain import OPEN_STATES, ChangeRequest, Principal, SemVer, State
from service.errors import Conflict, InvalidInput
from service.impact import Impact
from service.schema.model import Schema
from service.store import queries as q
from service.store.tables import ChangeRequestRow, PrincipalRow, ProductRow
from service.usecases.common import Inline, Limits, Runner, actor_row, roles_of, stored_schema
from service.usecases.impact import Subscriber
from service.usecases.lineage import LineageIndex
from service.usecases.notices import (
    acknowledge_as,
    acknowledgement_status,
    effective_at,
    publish,
    write_notices,
)
from service.workflow import (
    PROPOSER,
    SYSTEM,
    Action,
    authorize,
    check_distinct_approver,
    may,
    may_release,
    transition,
)


def propose(
    session: Session,
    *,
    actor: Principal,
    product: str,
    schema: str,
    renames: dict[str, str] | None,
    summary: str,
    limits: Limits,
    now: datetime,
    lineage: LineageIndex | None = None,
    runner: Runner | None = None,
) -> ChangeRequest:
    """Propose a new schema: diff it, find who it reaches, notify them; one open per product.

    Parsing and diffing go to `runner` (the API's worker with a deadline)."""
    row = q.product_row(session, product, for_update=True)
    proposer = actor_row(session, actor)
    authorize("propose", q.roles_on(row, actor.id))
    _refuse_second_open(session, row)
    current = q.current_version_row(session, row.id)
    old = stored_schema(current.source, row.dialect)
    comparison = (runner or Inline()).run(
        compare,
        old,
        schema,
        dialect=row.dialect,
        renames=renames or {},
        max_bytes=limits.max_schema_bytes,
    )
    new, changes = comparison.new, comparison.changes
    if not changes.changes:
        raise InvalidInput("no changes: the proposed schema is the current one", field="schema")
    data = report(changes)
    impact = _impact(session, row, changes, old, lineage)
    bump = data["bump"]
    cr = ChangeRequestRow(
        product_id=row.id,
        open_product_id=row.id,
        state=State.PROPOSED.value,
        summary=summary,
        source=schema,
        schema_json=new.to_json(),
        renames=renames or {},
        bump=bump,
        # The row's flag: held for the notice period (some change breaks or is undecided).
        breaking=decide(changes).blocks(),
        changes=data["changes"],
        impact=impact.to_stored(),
        base_version=current.version,
        target_version=str(SemVer.parse(current.version).bump(bump)),
        proposer_id=proposer.id,
        created_at=now,
    )
    session.add(cr)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"product {row.name!r} already has an open change request") from exc
    write_notices(session, cr, "proposed", now)
    q.audit(
        session,
        actor=proposer,
        action="change_request.propose",
        entity="change_request",
        entity_id=cr.id,
        product_id=row.id,
        now=now,
        after={"state": cr.state, "bump": bump, "breaking": cr.breaking, "summary": summary},
    )
    return view(session, cr, now, actor)


def _refuse_second_open(session: Session, product: ProductRow) -> None:
    existing = q.open_change_request(session, product.id)
    if existing is not None:
        raise Conflict(
            f"product {product.name!r} already has an open change request: #{existing.id} "
            f"({existing.state})",
            open_change_request=existing.id,
            state=existing.state,
        )


def _impact(
    session: Session, row: ProductRow, changes: ChangeSet, old: Schema, lineage: LineageIndex | None
) -> Impact:
    """Who the changes reach: the subscribers join the lineage graph's readers for one answer."""
    if lineage is None:
        lineage = LineageIndex()
        lineage.refresh(session)
    subscribers = [
        Subscriber(
            i, email, cols, all_changes, "sql" if by_sql else "all" if cols is None else "columns"
        )
        for i, email, cols, all_changes, by_sql in q.subscription_reads(session, row.id)
    ]
    return lineage.impact(
        changes,
        old,
        product=row.name,
        subscribers=subscribers,
        fallback=_owners(row),
        owners_of=lambda names: _owners_of(session, names),
    )


def _owners(product: ProductRow) -> tuple[str, ...]:
    return tuple(sorted(m.principal.email for m in product.members if m.role == "owner"))


def _owners_of(session: Session, names: list[str]) -> dict[str, tuple[str, ...]]:
    rows = session.scalars(select(ProductRow).where(ProductRow.name.in_(names))).all()
    return {r.name: _owners(r) for r in rows}


def _locked(session: Session, cr_id: int) -> tuple[ChangeRequestRow, ProductRow]:
    """The change request re-read after its product's row is locked (one writer per product)."""
    product_id = q.change_request_row(session, cr_id).product_id
    product = session.scalars(
        select(ProductRow).where(ProductRow.id == product_id).with_for_update()
    ).one()
    cr = session.scalars(
        select(ChangeRequestRow)
        .where(ChangeRequestRow.id == cr_id)
        .execution_options(populate_existing=True)
    ).one()
    return cr, product


def _roles(product: ProductRow, cr: ChangeRequestRow, actor: PrincipalRow) -> set[str]:
    roles = q.roles_on(product, actor.id)
    if cr.proposer_id == actor.id:
        roles.add(PROPOSER)
    return roles


def _save(session: Session, cr: ChangeRequestRow) -> None:
    """Flush; a concurrent writer that got there first turns into a Conflict, not a 500."""
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict(
            f"change request #{cr.id} was changed by someone else at the same time; reload it",
            change_request=cr.id,
        ) from exc


def approve(session: Session, *, actor: Principal, cr_id: int, now: datetime) -> ChangeRequest:
    """Approve: compatible changes are released at once, breaking ones scheduled with notices."""
    cr, product = _locked(session, cr_id)
    me = actor_row(session, actor)
    before = cr.state
    cr.state = transition(State(cr.state), Action.APPROVE, _roles(product, cr, me)).value
    check_distinct_approver(
        required=product.require_distinct_approver, proposer_id=cr.proposer_id, approver_id=me.id
    )
    cr.approver_id = me.id
    cr.decided_at = now
    _save(session, cr)
    if cr.breaking:
        cr.state = transition(State(cr.state), Action.SCHEDULE, {SYSTEM}).value
        q.current_version_row(session, product.id).deprecated_at = now
        write_notices(session, cr, "deprecation", now)
    else:
        cr.state = transition(State(cr.state), Action.RELEASE, {SYSTEM}).value
        publish(session, product, cr, now)
    _save(session, cr)
    _audit_transition(session, me, cr, before, "approve", now)
    return view(session, cr, now, actor)


def reject(session: Session, *, actor: Principal, cr_id: int, now: datetime) -> ChangeRequest:
    """Reject a proposal (owners only); the product is open for proposals again."""
    return _close(session, actor, cr_id, Action.REJECT, now)


def withdraw(session: Session, *, actor: Principal, cr_id: int, now: datetime) -> ChangeRequest:
    """Withdraw a proposal (its proposer or an owner) or a scheduled change (an owner)."""
    return _close(session, actor, cr_id, Action.WITHDRAW, now)


def _close(
    session: Session, actor: Principal, cr_id: int, action: Action, now: datetime
) -> ChangeRequest:
    cr, product = _locked(session, cr_id)
    me = actor_row(session, actor)
    before = cr.state
    cr.state = transition(State(cr.state), action, _roles(product, cr, me)).value
    cr.open_product_id = None
    cr.decided_at = cr.decided_at or now
    if before == State.SCHEDULED:
        q.current_version_row(session, product.id).deprecated_at = None
    _save(session, cr)
    _audit_transition(session, me, cr, before, action.value, now)
    return view(session, cr, now, actor)


def release(
    session: Session, *, actor: Principal | None, cr_id: int, now: datetime
) -> ChangeRequest:
    """Release a scheduled change: when its date is reached, or early once all acknowledged."""
    cr, product = _locked(session, cr_id)
    me = actor_row(session, actor) if actor else None
    roles = _roles(product, cr, me) if me else {SYSTEM}
    before = cr.state
    target = transition(State(cr.state), Action.RELEASE, roles)
    when, all_acked = effective_at(session, cr, product, now)
    may_release(roles=roles, effective_at=when, all_acknowledged=all_acked, now=now)
    cr.state = target.value
    publish(session, product, cr, now)
    _save(session, cr)
    _audit_transition(session, me, cr, before, "release", now)
    return view(session, cr, now, actor)


def acknowledge(session: Session, *, actor: Principal, cr_id: int, now: datetime) -> ChangeRequest:
    """Record that the caller (a subscriber, or an owner of a downstream product) is ready."""
    cr, product = _locked(session, cr_id)
    me = actor_row(session, actor)
    acknowledge_as(session, cr, product, me, now)
    q.audit(
        session,
        actor=me,
        action="change_request.acknowledge",
        entity="change_request",
        entity_id=cr.id,
        product_id=product.id,
        now=now,
    )
    return view(session, cr, now, actor)


def _audit_transition(
    session: Session,
    actor: PrincipalRow | None,
    cr: ChangeRequestRow,
    before: str,
    action: str,
    now: datetime,
) -> None:
    q.audit(
        session,
        actor=actor,
        action=f"change_request.{action}",
        entity="change_request",
        entity_id=cr.id,
        product_id=cr.product_id,
        now=now,
        before={"state": before},
        after={"state": cr.state, "released_version": cr.target_version}
        if cr.state == State.RELEASED
        else {"state": cr.state},
    )


def view(
    session: Session, cr: ChangeRequestRow, now: datetime, viewer: Principal | None = None
) -> ChangeRequest:
    """The change request as the doors show it, with its effective date and acknowledgements;
    a viewer who is not one of the product's team (owners, maintainers) or an admin sees of
    the people it reaches only themselves."""
    acked, awaiting = acknowledgement_status(session, cr)
    when: datetime | None
    if State(cr.state) is State.RELEASED:
        when = cr.released_at
    elif State(cr.state) not in OPEN_STATES:
        when = None
    elif not cr.breaking:
        when = now if cr.state == State.PROPOSED else cr.released_at
    else:
        when, _ = effective_at(session, cr, cr.product, now)
    shown = q.to_change_request(
        cr, earliest_effective_at=when, acknowledged_by=acked, awaiting=awaiting
    )
    if viewer is None or may("read_impact", roles_of(cr.product, viewer)):
        return shown
    return _only_self(shown, viewer.email)


def _only_self(cr: ChangeRequest, email: str) -> ChangeRequest:
    """The change request without other subscribers (products, views and jobs stay)."""
    readers = tuple(r for r in cr.impact.readers if r.subscription is None or email in r.emails)
    impact = Impact.model_construct(readers=readers, warnings=cr.impact.warnings)

    def public(who: str) -> bool:
        return who == email or who.startswith("product:")

    return replace(
        cr,
        impact=impact,
        acknowledged_by=tuple(filter(public, cr.acknowledged_by)),
        awaiting_acknowledgement=tuple(filter(public, cr.awaiting_acknowledgement)),
    )


def get_change_request(
    session: Session, cr_id: int, now: datetime, viewer: Principal | None = None
) -> ChangeRequest:
    """One change request, as the viewer may see it."""
    return view(session, q.change_request_row(session, cr_id), now, viewer)


def list_change_requests(
    session: Session,
    *,
    product: str | None,
    state: str | None,
    now: datetime,
    viewer: Principal | None = None,
) -> list[ChangeRequest]:
    """Change requests, newest first, optionally of one product and/or in one state."""
    query = select(ChangeRequestRow).order_by(ChangeRequestRow.id.desc())
    if product is not None:
        query = query.where(ChangeRequestRow.product_id == q.product_row(session, product).id)
    if state is not None:
        try:
            State(state)
        except ValueError as exc:
            raise InvalidInput(
                f"unknown state {state!r}", field="state", allowed=[s.value for s in State]
            ) from exc
        query = query.where(ChangeRequestRow.state == state)
    return [view(session, r, now, viewer) for r in session.scalars(query.limit(500))]
