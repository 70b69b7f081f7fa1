"""Which verdict counts: perspectives, levels, the bump and whether a change set blocks."""

from __future__ import annotations

from collections.abc import Iterable

from service.diff.model import Bump, Change, ChangeSet, Verdict
from service.diff.rules import RULES
from service.errors import InvalidInput

PERSPECTIVES = ("reader", "writer", "both")
LEVELS = ("reader", "strict")

_SEVERITY = {
    Verdict.COMPATIBLE: 0,
    Verdict.NEEDS_REVIEW: 1,
    Verdict.UNKNOWN: 2,
    Verdict.BREAKING: 3,
}


def verdict_for(change: Change, perspective: str = "reader") -> Verdict:
    """The verdict that counts from a perspective; `both` takes the worse of the two sides."""
    if perspective == "reader":
        return change.verdict
    if perspective == "writer":
        return change.writer_verdict
    if perspective == "both":
        return max(change.verdict, change.writer_verdict, key=_SEVERITY.__getitem__)
    raise InvalidInput(
        f"unknown perspective {perspective!r}; expected one of {', '.join(PERSPECTIVES)}"
    )


def change_bump(change: Change, perspective: str = "reader") -> Bump:
    """The bump one change calls for: major when it breaks (or may break) the chosen side."""
    if verdict_for(change, perspective) in (Verdict.BREAKING, Verdict.UNKNOWN):
        return Bump.MAJOR
    base = RULES[change.kind].bump
    # A kind that is major for readers but harmless to the chosen side still changes
    # what consumers can rely on, so it counts as minor rather than vanishing.
    return Bump.MINOR if base is Bump.MAJOR else base


def bump_for(changes: Iterable[Change] | ChangeSet, perspective: str = "reader") -> Bump:
    """The semver bump of all changes: the largest any single change calls for."""
    items = changes.changes if isinstance(changes, ChangeSet) else changes
    bumps = {change_bump(c, perspective) for c in items}
    for bump in (Bump.MAJOR, Bump.MINOR):
        if bump in bumps:
            return bump
    return Bump.PATCH


def is_breaking(changes: ChangeSet, perspective: str = "reader") -> bool:
    """True when some change is breaking from the chosen perspective (unknown does not count)."""
    return any(verdict_for(c, perspective) is Verdict.BREAKING for c in changes.changes)


def is_blocking(
    changes: ChangeSet, perspective: str = "reader", allow_unknown: bool = False
) -> bool:
    """True when CI should fail: a breaking change, or an unknown one unless allowed."""
    blocking = {Verdict.BREAKING} if allow_unknown else {Verdict.BREAKING, Verdict.UNKNOWN}
    return any(verdict_for(c, perspective) in blocking for c in changes.changes)
