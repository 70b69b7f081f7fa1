"""Change requests: propose, approve, reject, withdraw, acknowledge, release; one transaction each."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service.diff import decide
from service.diff.engine import diff_schemas
from service.diff.hints import resolve_rename_map
from service.diff.report import report
from service.domain import (
    OPEN_STATES,
    RETIREMENT,
    ChangeRequest,
    NoticeKind,
    Page,
    Paged,
    Principal,
    Role,
    SemVer,
    State,
)
from service.errors import Conflict, InvalidInput, StewardError
from service.impact import Impact
from service.store import outbox
from service.store import queries as q
from service.store.tables import ChangeRequestRow, PrincipalRow, ProductRow
from service.usecases.common import Inline, Limits, Runner, actor_row, roles_of, stored_schema
from service.usecases.lineage import LineageIndex, product_impact
from service.usecases.migration import read_proposal, stored_form
from service.usecases.notices import (
    acknowledge_as,
    acknowledgement_status,
    effective_at,
    publish,
    write_notices,
)
from service.usecases.participants import tell_deciders, tell_proposer
from service.workflow import (
    OWNER,
    PROPOSER,
    SYSTEM,
    Action,
    ChangeKey,
    Rediff,
    authorize,
    check_distinct_approver,
    may,
    may_release,
    rediff_outcome,
    stuck_approval,
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

    Parsing, diffing and the migration path go to `runner` (the API's worker with a
    deadline): nothing is written before they are done."""
    row = q.product_row(session, product, for_update=True)
    proposer = actor_row(session, actor)
    authorize("propose", q.roles_on(row, actor.id))
    open_breaking = _refuse_retired(session, row)
    current = q.current_version_row(session, row.id)
    # for the migration path, the impact and the notices; kept by the lineage index between
    # proposals while the product's subscriptions do not change (the product row is locked)
    subscriptions = (
        lineage.subscriptions(session, row) if lineage else q.subscription_reads(session, row.id)
    )
    sql_subscriptions = [(s.id, s.email, s.sql) for s in subscriptions if s.sql]
    proposed = (runner or Inline()).run(
        read_proposal,
        current.source,
        schema,
        dialect=row.dialect,
        renames=renames or {},
        max_bytes=limits.max_schema_bytes,
        base_version=current.version,
        subscriptions=sql_subscriptions,
    )
    old, new, changes = (
        proposed.comparison.old,
        proposed.comparison.new,
        proposed.comparison.changes,
    )
    if not changes.changes:
        raise InvalidInput("no changes: the proposed schema is the current one", field="schema")
    data = report(changes)
    impact = product_impact(session, row, changes, old, lineage, subscriptions)
    bump = data["bump"]
    breaking = decide(changes).blocks()  # held for the notice period: breaking or undecided
    existing = open_breaking if breaking else q.open_change_request(session, row.id, breaking=False)
    _refuse_second_open(row, existing, breaking=breaking)
    cr = ChangeRequestRow(
        product_id=row.id,
        open_product_id=row.id if breaking else None,
        compatible_product_id=None if breaking else row.id,
        state=State.PROPOSED.value,
        summary=summary,
        source=schema,
        schema_json=new.to_json(),
        renames=renames or {},
        bump=bump,
        breaking=breaking,
        changes=data["changes"],
        migration=stored_form(proposed.migration, sql_subscriptions),
        base_version=current.version,
        target_version=str(SemVer.parse(current.version).bump(bump)),
        proposer_id=proposer.id,
        created_at=now,
    )
    q.set_impact(cr, impact)
    session.add(cr)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"product {row.name!r} already has an open change request") from exc
    write_notices(session, cr, "proposed", now, subscriptions)
    tell_deciders(session, cr, proposer, now)
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
    return view(session, cr, now, actor, fresh=True)


def _refuse_retired(session: Session, product: ProductRow) -> ChangeRequestRow | None:
    """A retired product, or one being retired, takes no proposals; else its open breaking
    change request, if any (the product's row is locked: it stays so)."""
    retiring = q.open_change_request(session, product.id)
    if product.retired_at is not None or (retiring is not None and retiring.kind == RETIREMENT):
        raise Conflict(
            f"product {product.name!r} is retired or being retired: it takes no proposals",
            product=product.name,
        )
    return retiring


def _refuse_second_open(
    product: ProductRow, existing: ChangeRequestRow | None, *, breaking: bool
) -> None:
    """One open breaking and one open compatible change request per product, not two of a
    kind: EXISTING is the product's open one of the proposal's kind."""
    if existing is not None:
        kind = "breaking" if breaking else "compatible"
        raise Conflict(
            f"product {product.name!r} already has an open {kind} change request: "
            f"#{existing.id} ({existing.state})",
            open_change_request=existing.id,
            state=existing.state,
            breaking=breaking,
        )


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


def approve(
    session: Session,
    *,
    actor: Principal,
    cr_id: int,
    now: datetime,
    reason: str | None = None,
    lineage: LineageIndex | None = None,
) -> ChangeRequest:
    """Approve: compatible changes are released at once, breaking ones scheduled with notices
    (a release re-diffs the other open change request against LINEAGE, the door's index)."""
    cr, product = _locked(session, cr_id)
    me = actor_row(session, actor)
    before = cr.state
    roles = _roles(product, cr, me)
    owner_ids = {m.principal_id for m in product.members if m.role == Role.OWNER.value}
    stuck = stuck_approval(
        required=product.require_distinct_approver, owner_ids=owner_ids, proposer_id=cr.proposer_id
    )
    as_admin = stuck and me.is_admin and me.id != cr.proposer_id
    if as_admin:
        if not reason:
            raise InvalidInput(
                "an admin approving in place of the only owner must give a reason",
                field="reason",
            )
        roles.add(OWNER)
    cr.state = transition(State(cr.state), Action.APPROVE, roles).value
    if not as_admin:
        check_distinct_approver(
            required=product.require_distinct_approver,
            proposer_id=cr.proposer_id,
            approver_id=me.id,
        )
    cr.approver = me
    cr.decided_at = now
    cr.decision_reason = reason
    _save(session, cr)
    if cr.breaking:
        cr.state = transition(State(cr.state), Action.SCHEDULE, {SYSTEM}).value
        q.current_version_row(session, product.id).deprecated_at = now
        write_notices(session, cr, "deprecation", now)
    else:
        cr.state = transition(State(cr.state), Action.RELEASE, {SYSTEM}).value
        publish(session, product, cr, now)
    _save(session, cr)
    tell_proposer(session, cr, me, reason, now)
    action = "approve_as_admin" if as_admin else "approve"
    _audit_transition(session, me, cr, before, action, now, reason)
    if not cr.breaking:
        rediff_open(session, product, cr, now, lineage)
    return view(session, cr, now, actor)


def reject(
    session: Session, *, actor: Principal, cr_id: int, now: datetime, reason: str | None = None
) -> ChangeRequest:
    """Reject a proposal (owners only); the product is open for proposals again."""
    return _close(session, actor, cr_id, Action.REJECT, now, reason)


def withdraw(
    session: Session, *, actor: Principal, cr_id: int, now: datetime, reason: str | None = None
) -> ChangeRequest:
    """Withdraw a proposal (its proposer or an owner) or a scheduled change (an owner)."""
    return _close(session, actor, cr_id, Action.WITHDRAW, now, reason)


def _close(
    session: Session,
    actor: Principal,
    cr_id: int,
    action: Action,
    now: datetime,
    reason: str | None,
) -> ChangeRequest:
    cr, product = _locked(session, cr_id)
    me = actor_row(session, actor)
    before = cr.state
    cr.state = transition(State(cr.state), action, _roles(product, cr, me)).value
    _end(session, product, cr, before, reason, now)
    _save(session, cr)
    tell_proposer(session, cr, me, reason, now)
    _audit_transition(session, me, cr, before, action.value, now, reason)
    return view(session, cr, now, actor)


def _end(
    session: Session,
    product: ProductRow,
    cr: ChangeRequestRow,
    before: str,
    reason: str | None,
    now: datetime,
) -> None:
    """Free the change request's slot; a scheduled one takes back its deprecation and dates."""
    cr.open_product_id = None
    cr.compatible_product_id = None
    cr.decided_at = cr.decided_at or now
    cr.decision_reason = reason
    if before == State.SCHEDULED:
        current = q.current_version_row(session, product.id)
        current.deprecated_at = None
        current.sunset_at = None  # the announced retirement is called off (later, not earlier)


def release(
    session: Session,
    *,
    actor: Principal | None,
    cr_id: int,
    now: datetime,
    lineage: LineageIndex | None = None,
) -> ChangeRequest:
    """Release a scheduled change: when its date is reached, or early once all acknowledged
    (the other open change request is re-diffed against LINEAGE, the door's index)."""
    cr, product = _locked(session, cr_id)
    me = actor_row(session, actor) if actor else None
    roles = _roles(product, cr, me) if me else {SYSTEM}
    before = cr.state
    target = transition(State(cr.state), Action.RELEASE, roles)
    when, early = effective_at(session, cr, product, now)
    may_release(roles=roles, effective_at=when, early=early, now=now)
    cr.state = target.value
    if cr.kind == RETIREMENT:
        _retire_now(session, product, cr, now)
    else:
        publish(session, product, cr, now)
    _save(session, cr)
    _audit_transition(session, me, cr, before, "release", now)
    if cr.kind != RETIREMENT:
        rediff_open(session, product, cr, now, lineage)
    return view(session, cr, now, actor)


def _retire_now(session: Session, product: ProductRow, cr: ChangeRequestRow, now: datetime) -> None:
    """The retirement's date has come: every version is gone from now (or a later date
    already announced); the product takes no more proposals."""
    product.retired_at = now
    for version in q.version_rows(session, product.id):
        version.deprecated_at = version.deprecated_at or now
        if version.sunset_at is None:  # a date already set (announced, or passed) stays
            version.sunset_at = now
    cr.released_at = now
    cr.open_product_id = None
    cr.compatible_product_id = None
    write_notices(session, cr, NoticeKind.SUNSET.value, now)
    outbox.add_mark(session, cr.id, "sunset", now)


def _keys(changes: list[dict[str, Any]]) -> frozenset[ChangeKey]:
    """The breaking changes of a stored change list, as comparable keys."""
    return frozenset(
        (str(c.get("kind")), str(c.get("table")), tuple(c.get("columns") or ()))
        for c in changes
        if c.get("verdict") != "compatible"
    )


def rediff_open(
    session: Session,
    product: ProductRow,
    released: ChangeRequestRow,
    now: datetime,
    lineage: LineageIndex | None = None,
) -> None:
    """Re-diff every other open change request of the product against the version just released.

    A scheduled change keeps its announced breaking changes and dates; if the re-diff adds a
    breaking change it goes back for a new approval (and later a new deprecation notice).
    A proposal whose schema became the current one is withdrawn, saying why. Impact is
    computed against LINEAGE (the door's index, topped up with the version just published).
    """
    current = q.current_version_row(session, product.id)
    old = stored_schema(current.source, product.dialect)
    previous = q.version_rows(session, product.id)
    others = [
        cr
        for cr in q.open_change_requests(session, product.id)
        if cr.id != released.id and cr.kind != RETIREMENT
    ]
    if others and lineage is not None:
        lineage.refresh(session, committed=False)
    for cr in others:
        try:
            hints = resolve_rename_map(cr.renames, old)
        except StewardError:  # a hint naming what the new version no longer has: no hint
            hints = {}
        changes = diff_schemas(old, stored_schema(cr.source, product.dialect), renames=hints)
        data = report(changes)
        before = cr.state
        outcome = rediff_outcome(
            State(cr.state),
            changed=bool(changes.changes),
            announced=_keys(cr.changes),
            breaking=_keys(data["changes"]),
        )
        if outcome is Rediff.SUPERSEDED:
            cr.state = transition(State(cr.state), Action.WITHDRAW, {SYSTEM}).value
            _end(
                session,
                product,
                cr,
                before,
                f"superseded: #{released.id} released {current.version}, whose schema is this one",
                now,
            )
            _save(session, cr)
            _audit_transition(session, None, cr, before, "withdraw", now, cr.decision_reason)
            continue
        scheduled = State(cr.state) is State.SCHEDULED
        breaking = (
            decide(changes).blocks() or scheduled
        )  # announced breaking changes stay announced
        impact = product_impact(session, product, changes, old, lineage)
        bump = "major" if breaking else data["bump"]
        cr.changes = data["changes"]
        q.set_impact(cr, impact)
        cr.bump = bump
        cr.breaking = breaking
        cr.base_version = current.version
        cr.target_version = str(SemVer.parse(current.version).bump(bump))
        cr.open_product_id = product.id if breaking else None
        cr.compatible_product_id = None if breaking else product.id
        if outcome is Rediff.REAPPROVE:
            cr.state = transition(State(cr.state), Action.REOPEN, {SYSTEM}).value
            cr.approver = None
            cr.decided_at = None
            outbox.clear_marks(session, cr.id, "reminder-")  # its new date gets reminders
        elif scheduled:
            # The version just released is the one the scheduled change now replaces: it is
            # deprecated at once and keeps any retirement date already announced.
            current.deprecated_at = now
            announced = previous[-2].sunset_at if len(previous) > 1 else None
            if announced is not None and announced > now:
                current.sunset_at = announced
        _save(session, cr)
        q.audit(
            session,
            actor=None,
            action="change_request.rediff",
            entity="change_request",
            entity_id=cr.id,
            product_id=product.id,
            now=now,
            before={"state": before},
            after={
                "state": cr.state,
                "base_version": cr.base_version,
                "target_version": cr.target_version,
                "released": released.id,
            },
        )
        if outcome is Rediff.REAPPROVE:
            write_notices(session, cr, NoticeKind.PROPOSED.value, now)
            tell_deciders(session, cr, None, now)


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
    reason: str | None = None,
) -> None:
    after: dict[str, Any] = {"state": cr.state}
    if cr.state == State.RELEASED:
        after["released_version"] = cr.target_version
    if reason:
        after["reason"] = reason
    q.audit(
        session,
        actor=actor,
        action=f"change_request.{action}",
        entity="change_request",
        entity_id=cr.id,
        product_id=cr.product_id,
        now=now,
        before={"state": before},
        after=after,
    )


def view(
    session: Session,
    cr: ChangeRequestRow,
    now: datetime,
    viewer: Principal | None = None,
    *,
    fresh: bool = False,
) -> ChangeRequest:
    """The change request as the doors show it, with its effective date and acknowledgements;
    a viewer who is not one of the product's team (owners, maintainers) or an admin sees of
    the people it reaches only themselves. FRESH: proposed in this operation (no
    acknowledgement or deprecation notice to read)."""
    acked, awaiting = acknowledgement_status(session, cr, fresh=fresh)
    when: datetime | None
    if State(cr.state) is State.RELEASED:
        when = cr.released_at
    elif State(cr.state) not in OPEN_STATES:
        when = None
    elif not cr.breaking:
        when = now if cr.state == State.PROPOSED else cr.released_at
    else:
        when, _ = effective_at(session, cr, cr.product, now, awaiting, fresh=fresh)
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
    page: Page | None = None,
    viewer: Principal | None = None,
) -> Paged[ChangeRequest]:
    """Change requests, newest first, optionally of one product and/or in one state; a page."""
    page = page or Page()
    query = select(ChangeRequestRow)
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
    found = session.scalars(q.keyset(query, ChangeRequestRow.id, page, descending=True)).all()
    rows, after = q.page_of(found, page, lambda r: r.id)
    return Paged([view(session, r, now, viewer) for r in rows], after)
