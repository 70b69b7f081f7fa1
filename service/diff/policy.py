"""Which verdict counts: perspectives, levels, the bump and whether a change set blocks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Decision:
    """What a change set means for one side: the one answer every door reports.

    `breaking`: some change breaks that side. `unknown`: some change cannot be decided.
    The exit code of `steward diff`, `POST /diff` and a change request all read this.
    """

    breaking: bool
    unknown: bool

    def blocks(self, allow_unknown: bool = False) -> bool:
        """True when CI fails and a change request waits for notice: breaking, or unknown."""
        return self.breaking or (self.unknown and not allow_unknown)


def decide_verdicts(verdicts: Iterable[Verdict]) -> Decision:
    """The decision over verdicts already taken from one side (a stored change request's)."""
    seen = set(verdicts)
    return Decision(breaking=Verdict.BREAKING in seen, unknown=Verdict.UNKNOWN in seen)


def decide(changes: Iterable[Change] | ChangeSet, perspective: str = "reader") -> Decision:
    """The one decision on a change set from a perspective (reader by default).

    >>> from service.diff.model import ChangeKind
    >>> c = Change(ChangeKind.COLUMN_TYPE_CHANGED, "t", "doc", "JSON", "JSONB",
    ...            Verdict.UNKNOWN, Verdict.UNKNOWN, "r", ("doc",))
    >>> d = decide([c])
    >>> d.breaking, d.unknown, d.blocks(), d.blocks(allow_unknown=True)
    (False, True, True, False)
    """
    items = changes.changes if isinstance(changes, ChangeSet) else changes
    return decide_verdicts(verdict_for(c, perspective) for c in items)


def is_breaking(changes: ChangeSet, perspective: str = "reader") -> bool:
    """True when some change is breaking from the chosen perspective (unknown does not count)."""
    return decide(changes, perspective).breaking


def is_blocking(
    changes: ChangeSet, perspective: str = "reader", allow_unknown: bool = False
) -> bool:
    """True when CI should fail: a breaking change, or an unknown one unless allowed."""
    return decide(changes, perspective).blocks(allow_unknown)
