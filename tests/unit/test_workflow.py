"""The workflow table, authorization and the effective date rule (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain import SemVer, State, parse_duration
from service.errors import InvalidInput, InvalidTransition, NotAuthorized
from service.workflow import (
    ADMIN,
    CONSUMER,
    MAINTAINER,
    OWNER,
    PROPOSER,
    SYSTEM,
    TRANSITIONS,
    Action,
    allowed_actions,
    authorize,
    check_distinct_approver,
    earliest_effective_at,
    may_release,
    transition,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("state", "action", "roles", "target"),
    [
        (State.PROPOSED, Action.APPROVE, {OWNER}, State.APPROVED),
        (State.PROPOSED, Action.REJECT, {OWNER}, State.REJECTED),
        (State.PROPOSED, Action.WITHDRAW, {PROPOSER}, State.WITHDRAWN),
        (State.APPROVED, Action.RELEASE, {SYSTEM}, State.RELEASED),
        (State.APPROVED, Action.SCHEDULE, {SYSTEM}, State.SCHEDULED),
        (State.SCHEDULED, Action.RELEASE, {OWNER}, State.RELEASED),
        (State.SCHEDULED, Action.WITHDRAW, {OWNER}, State.WITHDRAWN),
    ],
)
def test_the_table_leads_from_each_state_to_the_next(
    state: State, action: Action, roles: set[str], target: State
) -> None:
    assert transition(state, action, roles) is target


@pytest.mark.parametrize("roles", [{MAINTAINER}, {CONSUMER}, {ADMIN}, {PROPOSER}, set()])
def test_only_owners_approve(roles: set[str]) -> None:
    with pytest.raises(NotAuthorized):
        transition(State.PROPOSED, Action.APPROVE, roles)


def test_a_proposer_may_withdraw_a_proposal_but_not_a_scheduled_change() -> None:
    assert transition(State.PROPOSED, Action.WITHDRAW, {PROPOSER}) is State.WITHDRAWN
    with pytest.raises(NotAuthorized):
        transition(State.SCHEDULED, Action.WITHDRAW, {PROPOSER})


@pytest.mark.parametrize("state", [State.RELEASED, State.REJECTED, State.WITHDRAWN])
def test_closed_change_requests_allow_no_action(state: State) -> None:
    assert allowed_actions(state) == []
    for action in Action:
        with pytest.raises((InvalidTransition, NotAuthorized)):
            transition(state, action, {OWNER, SYSTEM, PROPOSER})


def test_every_state_but_the_closed_ones_has_a_way_out() -> None:
    sources = {rule.source for rule in TRANSITIONS}
    assert sources == {State.PROPOSED, State.APPROVED, State.SCHEDULED}


def test_authorize_names_who_may_do_it() -> None:
    authorize("register_product", {ADMIN})
    with pytest.raises(NotAuthorized, match="admin"):
        authorize("register_product", {OWNER})


def test_a_distinct_approver_is_required_only_when_the_product_says_so() -> None:
    check_distinct_approver(required=False, proposer_id=1, approver_id=1)
    check_distinct_approver(required=True, proposer_id=1, approver_id=2)
    with pytest.raises(NotAuthorized):
        check_distinct_approver(required=True, proposer_id=1, approver_id=1)


def test_no_delivered_deprecation_means_no_effective_date() -> None:
    assert earliest_effective_at(None, 14 * DAY, False, NOW) is None


def test_the_effective_date_counts_from_delivery_not_from_now() -> None:
    delivered = NOW - 3 * DAY
    assert earliest_effective_at(delivered, 14 * DAY, False, NOW) == delivered + 14 * DAY


def test_everyone_acknowledging_makes_it_effective_now() -> None:
    assert earliest_effective_at(None, 14 * DAY, True, NOW) == NOW
    assert earliest_effective_at(NOW - 20 * DAY, 14 * DAY, True, NOW) == NOW - 6 * DAY


@given(
    delivered_days_ago=st.integers(min_value=0, max_value=60),
    period_days=st.integers(min_value=0, max_value=60),
    acked=st.booleans(),
)
def test_the_effective_date_is_never_before_the_notice_period_unless_all_acknowledged(
    delivered_days_ago: int, period_days: int, acked: bool
) -> None:
    delivered = NOW - delivered_days_ago * DAY
    when = earliest_effective_at(delivered, period_days * DAY, acked, NOW)
    assert when is not None
    if not acked:
        assert when >= delivered + period_days * DAY
    else:
        assert when <= NOW


def test_release_needs_the_date_or_everyones_acknowledgement() -> None:
    may_release(roles={SYSTEM}, effective_at=NOW, early=False, now=NOW)
    may_release(roles={OWNER}, effective_at=None, early=True, now=NOW)
    with pytest.raises(InvalidTransition):
        may_release(roles={OWNER}, effective_at=NOW + DAY, early=False, now=NOW)
    with pytest.raises(InvalidTransition):
        may_release(roles={SYSTEM}, effective_at=None, early=True, now=NOW)


@pytest.mark.parametrize("text", ["14", "P", "days", "-P1D", ""])
def test_bad_durations_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


@given(
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 50),
    st.sampled_from(["major", "minor", "patch"]),
)
def test_a_bump_always_yields_a_greater_version(
    major: int, minor: int, patch: int, kind: str
) -> None:
    version = SemVer(major, minor, patch)
    assert version.bump(kind) > version
    assert SemVer.parse(str(version)) == version
