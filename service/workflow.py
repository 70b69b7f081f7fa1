"""The change request workflow as data: transitions, who may act, and the effective date rule.

Pure: no clock, no database. `now` is always passed in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from service.domain import State
from service.errors import InvalidTransition, NotAuthorized

OWNER = "owner"
MAINTAINER = "maintainer"
PROPOSER = "proposer"
CONSUMER = "consumer"
ADMIN = "admin"
SYSTEM = "system"  # the scheduler acting on its own when a date is reached


class Action(StrEnum):
    """What can happen to a change request."""

    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    SCHEDULE = "schedule"
    RELEASE = "release"
    REOPEN = "reopen"


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the transition table: from a state, an action by one of these roles leads on."""

    source: State
    action: Action
    target: State
    roles: frozenset[str]


TRANSITIONS: tuple[Rule, ...] = (
    Rule(State.PROPOSED, Action.APPROVE, State.APPROVED, frozenset({OWNER})),
    Rule(State.PROPOSED, Action.REJECT, State.REJECTED, frozenset({OWNER})),
    # The scheduler withdraws a proposal whose schema another release made current.
    Rule(State.PROPOSED, Action.WITHDRAW, State.WITHDRAWN, frozenset({OWNER, PROPOSER, SYSTEM})),
    # Compatible changes are released the moment they are approved; breaking ones wait.
    Rule(State.APPROVED, Action.RELEASE, State.RELEASED, frozenset({SYSTEM})),
    Rule(State.APPROVED, Action.SCHEDULE, State.SCHEDULED, frozenset({SYSTEM})),
    # The owner releases early only when everyone affected acknowledged (see may_release).
    Rule(State.SCHEDULED, Action.RELEASE, State.RELEASED, frozenset({OWNER, SYSTEM})),
    Rule(State.SCHEDULED, Action.WITHDRAW, State.WITHDRAWN, frozenset({OWNER, SYSTEM})),
    # Re-diffed after another release, a scheduled change that gained a breaking change goes
    # back to its owners: it needs a new approval (and then a new deprecation notice).
    Rule(State.SCHEDULED, Action.REOPEN, State.PROPOSED, frozenset({SYSTEM})),
)

# Operations that are not transitions, and the roles (on the product, or global) that may do them.
PERMISSIONS: dict[str, frozenset[str]] = {
    "register_product": frozenset({ADMIN}),
    "edit_product": frozenset({OWNER, ADMIN}),
    "retire_product": frozenset({OWNER, ADMIN}),
    "ingest_lineage": frozenset({ADMIN}),
    "propose": frozenset({OWNER, MAINTAINER}),
    # who a product's subscribers, notices and audit records are shown to (others: their own)
    "read_subscribers": frozenset({OWNER, ADMIN}),
    "read_notices": frozenset({OWNER, ADMIN}),
    "read_audit": frozenset({OWNER, ADMIN}),
    "read_impact": frozenset({OWNER, MAINTAINER, ADMIN}),
    "acknowledge": frozenset({CONSUMER}),
    "unsubscribe": frozenset({CONSUMER}),
}


def may(operation: str, roles: Collection[str]) -> bool:
    """Whether one of `roles` may perform `operation`.

    >>> may("read_audit", {OWNER}), may("read_audit", {MAINTAINER, CONSUMER})
    (True, False)
    """
    return not PERMISSIONS[operation].isdisjoint(roles)


def authorize(operation: str, roles: Collection[str]) -> None:
    """Raise NotAuthorized unless one of `roles` may perform `operation`.

    >>> authorize("propose", {"maintainer"})
    >>> authorize("propose", {"consumer"})
    Traceback (most recent call last):
    ...
    service.errors.NotAuthorized: only a maintainer or owner of the product may propose
    """
    allowed = PERMISSIONS[operation]
    if allowed.isdisjoint(roles):
        who = " or ".join(sorted(allowed))
        raise NotAuthorized(
            f"only {_article(who)} {who} of the product may {operation.replace('_', ' ')}",
            operation=operation,
            allowed=sorted(allowed),
        )


def transition(state: State, action: Action, roles: Collection[str]) -> State:
    """The state after `action` by someone holding `roles`, or a NotAuthorized/InvalidTransition.

    Authorization is checked before the state, so nobody learns more than they may.

    >>> transition(State.PROPOSED, Action.APPROVE, {"owner"})
    <State.APPROVED: 'approved'>
    >>> transition(State.RELEASED, Action.APPROVE, {"owner"})
    Traceback (most recent call last):
    ...
    service.errors.InvalidTransition: cannot approve a change request that is released
    """
    rules = [r for r in TRANSITIONS if r.action is action]
    if not any(not r.roles.isdisjoint(roles) for r in rules):
        allowed = sorted(set().union(*(r.roles for r in rules)) - {SYSTEM, PROPOSER})
        who = " or ".join(allowed) if allowed else "the scheduler"
        raise NotAuthorized(
            f"only {_article(who)} {who} of the product may {action.value} a change request",
            action=action.value,
            allowed=allowed,
        )
    for rule in rules:
        if rule.source is state:
            if rule.roles.isdisjoint(roles):
                raise NotAuthorized(
                    f"you may not {action.value} a change request that is {state.value}",
                    action=action.value,
                    state=state.value,
                )
            return rule.target
    raise InvalidTransition(
        f"cannot {action.value} a change request that is {state.value}",
        action=action.value,
        state=state.value,
        allowed_from=[r.source.value for r in rules],
    )


def allowed_actions(state: State) -> list[str]:
    """The actions the transition table allows from `state` (for clients and docs)."""
    return [r.action.value for r in TRANSITIONS if r.source is state]


def check_distinct_approver(*, required: bool, proposer_id: int, approver_id: int) -> None:
    """Raise NotAuthorized when the product requires a second person and the proposer approves."""
    if required and proposer_id == approver_id:
        raise NotAuthorized(
            "this product requires that the approver is not the proposer",
            rule="require_distinct_approver",
        )


def stuck_approval(*, required: bool, owner_ids: Collection[int], proposer_id: int) -> bool:
    """Whether no owner can ever approve: a distinct approver is required and the proposer is
    the product's only owner. Then (and only then) an admin may approve, giving a reason.

    >>> stuck_approval(required=True, owner_ids={7}, proposer_id=7)
    True
    >>> stuck_approval(required=True, owner_ids={7, 8}, proposer_id=7)
    False
    """
    return required and set(owner_ids) <= {proposer_id}


def check_period_edit(*, field: str, old: timedelta, new: timedelta, scheduled: bool) -> None:
    """Refuse shortening a period while a breaking change is scheduled: its announced dates
    would move earlier. Lengthening is fine (dates only move later).

    >>> from datetime import timedelta
    >>> check_period_edit(field="notice_period", old=timedelta(1), new=timedelta(2), scheduled=True)
    """
    if scheduled and new < old:
        raise InvalidTransition(
            f"{field} cannot be shortened while a breaking change is scheduled: "
            "announced dates never move earlier",
            field=field,
        )


def release_early(*, known_readers: int, awaiting: int, waived: bool) -> bool:
    """Whether a breaking change may take effect before its notice period has passed.

    No known reader is not no reader: only when at least one affected reader is known and
    every one of them acknowledged, or when the product waived the notice for changes that
    reach nobody it knows of.

    >>> release_early(known_readers=0, awaiting=0, waived=False)
    False
    >>> release_early(known_readers=2, awaiting=0, waived=False)
    True
    >>> release_early(known_readers=0, awaiting=0, waived=True)
    True
    """
    if known_readers == 0:
        return waived
    return awaiting == 0


def retirement(
    released_at: datetime, *, sunset_period: timedelta, announced: datetime | None
) -> datetime:
    """When the version a release replaces is retired: the product's sunset period after the
    release, compatible or not (readers pinned to the old version keep it that long), and
    never before a date already announced.

    >>> from datetime import datetime, timedelta
    >>> t = datetime(2026, 1, 1)
    >>> retirement(t, sunset_period=timedelta(days=30), announced=None)
    datetime.datetime(2026, 1, 31, 0, 0)
    >>> later = datetime(2026, 3, 1)
    >>> retirement(t, sunset_period=timedelta(days=30), announced=later) == later
    True
    """
    moment = released_at + sunset_period
    return max(moment, announced) if announced is not None else moment


def retired(sunset_at: datetime | None, now: datetime) -> bool:
    """Whether a version with this sunset is gone at `now`."""
    return sunset_at is not None and sunset_at <= now


ChangeKey = tuple[str, str, tuple[str, ...]]


class Rediff(StrEnum):
    """What a re-diff against a newly released version means for an open change request."""

    KEEP = "keep"  # same state; its changes are the re-diff's
    REAPPROVE = "reapprove"  # a scheduled change gained a breaking change: approve again
    SUPERSEDED = "superseded"  # its schema is the current one now: nothing left to do


def rediff_outcome(
    state: State, *, changed: bool, announced: frozenset[ChangeKey], breaking: frozenset[ChangeKey]
) -> Rediff:
    """The fate of an open change request re-diffed against the version just released.

    A scheduled change keeps its announced breaking changes and dates; one breaking change
    that was not announced sends it back for a new approval and a new notice.

    >>> k = ("column_removed", "t", ("a",))
    >>> rediff_outcome(State.SCHEDULED, changed=True, announced=frozenset({k}), breaking=frozenset({k}))
    <Rediff.KEEP: 'keep'>
    >>> j = ("column_removed", "t", ("b",))
    >>> rediff_outcome(State.SCHEDULED, changed=True, announced=frozenset({k}), breaking=frozenset({k, j}))
    <Rediff.REAPPROVE: 'reapprove'>
    """
    if not changed:
        return Rediff.SUPERSEDED
    if state is State.SCHEDULED and not breaking <= announced:
        return Rediff.REAPPROVE
    return Rediff.KEEP


def earliest_effective_at(
    deprecation_delivered_at: datetime | None,
    notice_period: timedelta,
    early: bool,
    now: datetime,
) -> datetime | None:
    """When a scheduled breaking change may take effect; None while no deprecation was delivered.

    The notice period counts from delivery of the deprecation notice, never from approval;
    only when it may go early (see release_early) may it happen sooner (now).

    >>> from datetime import datetime, timedelta
    >>> t = datetime(2026, 1, 1)
    >>> earliest_effective_at(t, timedelta(days=14), False, t).day
    15
    >>> earliest_effective_at(None, timedelta(days=14), False, t) is None
    True
    >>> earliest_effective_at(None, timedelta(days=14), True, t) == t
    True
    """
    if early:
        if deprecation_delivered_at is None:
            return now
        return min(now, deprecation_delivered_at + notice_period)
    if deprecation_delivered_at is None:
        return None
    return deprecation_delivered_at + notice_period


def may_release(
    *, roles: Collection[str], effective_at: datetime | None, early: bool, now: datetime
) -> None:
    """Raise unless a scheduled change may be released now by someone holding `roles`."""
    if effective_at is not None and effective_at <= now:
        return
    if early and OWNER in roles:
        return
    when = effective_at.isoformat() if effective_at else "unknown (no deprecation delivered yet)"
    raise InvalidTransition(
        "the notice period has not passed, and no known affected reader acknowledged it "
        "(every one must, and at least one must be known)",
        effective_at=effective_at.isoformat() if effective_at else None,
        earliest_effective_at=when,
    )


def _article(words: str) -> str:
    return "an" if words[:1] in "aeiou" else "a"
