"""The diff engine: every difference between two schemas, classified for readers and writers."""

from service.diff.engine import diff_schemas, split_renames
from service.diff.hints import resolve_renames
from service.diff.model import Bump, Change, ChangeKind, ChangeSet, Verdict
from service.diff.policy import (
    LEVELS,
    PERSPECTIVES,
    Decision,
    bump_for,
    change_bump,
    decide,
    decide_verdicts,
    is_blocking,
    is_breaking,
    verdict_for,
)

__all__ = [
    "LEVELS",
    "PERSPECTIVES",
    "Bump",
    "Change",
    "ChangeKind",
    "ChangeSet",
    "Decision",
    "Verdict",
    "bump_for",
    "change_bump",
    "decide",
    "decide_verdicts",
    "diff_schemas",
    "is_blocking",
    "is_breaking",
    "resolve_renames",
    "split_renames",
    "verdict_for",
]
