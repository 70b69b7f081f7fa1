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
    Rule(State.PROPOSED, Action.WITHDRAW, State.WITHDRAWN, frozenset({OWNER, PROPOSER})),
    # Compatible changes are released the moment they are approved; breaking ones wait.
    Rule(State.APPROVED, Action.RELEASE, State.RELEASED, frozenset({SYSTEM})),
    Rule(State.APPROVED, Action.SCHEDULE, State.SCHEDULED, frozenset({SYSTEM})),
    # The owner releases early only when everyone affected acknowledged (see may_release).
    Rule(State.SCHEDULED, Action.RELEASE, State.RELEASED, frozenset({OWNER, SYSTEM})),
    Rule(State.SCHEDULED, Action.WITHDRAW, State.WITHDRAWN, frozenset({OWNER})),
)

# Operations that are not transitions, and the roles (on the product, or global) that may do them.
PERMISSIONS: dict[str, frozenset[str]] = {
    "register_product": frozenset({ADMIN}),
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


def earliest_effective_at(
    deprecation_delivered_at: datetime | None,
    notice_period: timedelta,
    all_acknowledged: bool,
    now: datetime,
) -> datetime | None:
    """When a scheduled breaking change may take effect; None while no deprecation was delivered.

    The notice period counts from delivery of the deprecation notice, never from approval;
    only when every affected consumer acknowledged may it happen sooner (now).

    >>> from datetime import datetime, timedelta
    >>> t = datetime(2026, 1, 1)
    >>> earliest_effective_at(t, timedelta(days=14), False, t).day
    15
    >>> earliest_effective_at(None, timedelta(days=14), False, t) is None
    True
    >>> earliest_effective_at(None, timedelta(days=14), True, t) == t
    True
    """
    if all_acknowledged:
        if deprecation_delivered_at is None:
            return now
        return min(now, deprecation_delivered_at + notice_period)
    if deprecation_delivered_at is None:
        return None
    return deprecation_delivered_at + notice_period


def may_release(
    *, roles: Collection[str], effective_at: datetime | None, all_acknowledged: bool, now: datetime
) -> None:
    """Raise unless a scheduled change may be released now by someone holding `roles`."""
    if effective_at is not None and effective_at <= now:
        return
    if all_acknowledged and OWNER in roles:
        return
    when = effective_at.isoformat() if effective_at else "unknown (no deprecation delivered yet)"
    raise InvalidTransition(
        "the notice period has not passed and not every affected consumer acknowledged",
        effective_at=effective_at.isoformat() if effective_at else None,
        earliest_effective_at=when,
    )


def _article(words: str) -> str:
    return "an" if words[:1] in "aeiou" else "a"
