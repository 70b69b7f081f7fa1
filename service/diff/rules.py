"""The diff engine's tables: verdicts, bumps and reasons per kind (types compare in widening.py).

Everything a reviewer may want to argue about is data here; `engine.py` only walks
the two schemas and looks things up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.diff.model import Bump, ChangeKind, Verdict
from service.diff.widening import Shift

B, C, R, U = Verdict.BREAKING, Verdict.COMPATIBLE, Verdict.NEEDS_REVIEW, Verdict.UNKNOWN
K = ChangeKind


@dataclass(frozen=True, slots=True)
class Rule:
    """How one kind of change lands on readers and writers, its bump and its reason."""

    verdict: Verdict
    writer_verdict: Verdict
    bump: Bump
    reason: str


# Reason templates take {table}, {column}, {before}, {after} and {detail}.
RULES: Mapping[ChangeKind, Rule] = {
    K.TABLE_ADDED: Rule(
        C, C, Bump.MINOR, "Table {table} was added; existing queries are unaffected."
    ),
    K.TABLE_REMOVED: Rule(
        B, B, Bump.MAJOR, "Table {table} was removed; queries that read it fail."
    ),
    K.TABLE_RENAMED: Rule(
        B, B, Bump.MAJOR, "Table {before} was renamed to {after}; queries using the old name fail."
    ),
    K.COLUMN_ADDED: Rule(
        C, C, Bump.MINOR, "Column {column} was added to {table}; existing queries are unaffected."
    ),
    K.COLUMN_REMOVED: Rule(
        B, B, Bump.MAJOR, "Column {column} was removed from {table}; queries that read it fail."
    ),
    K.COLUMN_RENAMED: Rule(
        B,
        B,
        Bump.MAJOR,
        "Column {before} of {table} was renamed to {after}; queries using the old name fail.",
    ),
    K.COLUMN_REORDERED: Rule(
        C,
        R,
        Bump.PATCH,
        "Column {column} of {table} moved from {before} to {after}; positional INSERTs need review.",
    ),
    K.COLUMN_TYPE_WIDENED: Rule(
        C,
        C,
        Bump.MINOR,
        "Column {column} of {table} widened from {before} to {after}; every old value still fits.",
    ),
    K.COLUMN_TYPE_NARROWED: Rule(
        B, B, Bump.MAJOR, "Column {column} of {table} narrowed from {before} to {after}; {detail}."
    ),
    K.COLUMN_TYPE_CHANGED: Rule(
        B,
        B,
        Bump.MAJOR,
        "Column {column} of {table} changed type from {before} to {after}; {detail}.",
    ),
    K.COLUMN_NULLABILITY_RELAXED: Rule(
        B,
        C,
        Bump.MAJOR,
        "Column {column} of {table} may now be NULL; readers that assume a value can fail.",
    ),
    K.COLUMN_NULLABILITY_TIGHTENED: Rule(
        C,
        B,
        Bump.MINOR,
        "Column {column} of {table} is now NOT NULL; writers must always supply it.",
    ),
    K.PRIMARY_KEY_ADDED: Rule(
        C,
        B,
        Bump.MINOR,
        "{table} now has primary key {after}; writers must keep it unique and non-null.",
    ),
    K.PRIMARY_KEY_REMOVED: Rule(
        B,
        C,
        Bump.MAJOR,
        "{table} lost primary key {before}; readers can no longer rely on unique rows.",
    ),
    K.PRIMARY_KEY_CHANGED: Rule(
        B,
        B,
        Bump.MAJOR,
        "The primary key of {table} changed from {before} to {after}; joins and upserts on it change.",
    ),
    K.UNIQUE_ADDED: Rule(
        C, B, Bump.MINOR, "{table} now guarantees {after} is unique; writers must not repeat it."
    ),
    K.UNIQUE_REMOVED: Rule(
        B,
        C,
        Bump.MAJOR,
        "{table} no longer guarantees {before} is unique; readers may see duplicates.",
    ),
    K.CHECK_ADDED: Rule(C, B, Bump.MINOR, "{table} now checks {after}; writers must satisfy it."),
    K.CHECK_REMOVED: Rule(
        B,
        C,
        Bump.MAJOR,
        "{table} no longer checks {before}; readers may see values it used to exclude.",
    ),
    K.FOREIGN_KEY_ADDED: Rule(
        C,
        B,
        Bump.MINOR,
        "{table} now has foreign key {after}; writers must reference existing rows.",
    ),
    K.FOREIGN_KEY_REMOVED: Rule(
        B, C, Bump.MAJOR, "{table} lost foreign key {before}; readers may see rows without a match."
    ),
    K.ENUM_VALUES_ADDED: Rule(
        C, C, Bump.MINOR, "Column {column} of {table} accepts new values {after}."
    ),
    K.ENUM_VALUES_REMOVED: Rule(
        B,
        B,
        Bump.MAJOR,
        "Column {column} of {table} no longer accepts {before}; rows holding them cannot be represented.",
    ),
    K.DEFAULT_ADDED: Rule(C, C, Bump.PATCH, "Column {column} of {table} now defaults to {after}."),
    K.DEFAULT_CHANGED: Rule(
        C,
        C,
        Bump.PATCH,
        "The default of column {column} of {table} changed from {before} to {after}.",
    ),
    K.DEFAULT_REMOVED: Rule(
        C, C, Bump.PATCH, "Column {column} of {table} no longer has a default."
    ),
    K.COLUMN_COMMENT_CHANGED: Rule(
        C, C, Bump.PATCH, "The description of column {column} of {table} changed."
    ),
    K.TABLE_COMMENT_CHANGED: Rule(C, C, Bump.PATCH, "The description of {table} changed."),
    K.PARTITIONING_CHANGED: Rule(
        C,
        C,
        Bump.PATCH,
        "The partitioning of {table} changed from {before} to {after}; results are unchanged.",
    ),
    K.CLUSTERING_CHANGED: Rule(
        C,
        C,
        Bump.PATCH,
        "The clustering of {table} changed from {before} to {after}; results are unchanged.",
    ),
    K.COLUMN_DEPRECATED: Rule(
        C,
        C,
        Bump.MINOR,
        "Column {column} of {table} is deprecated; readers should move off it before it is removed.",
    ),
    K.TABLE_DEPRECATED: Rule(
        C,
        C,
        Bump.MINOR,
        "{table} is deprecated; readers should move off it before it is removed.",
    ),
    K.QUALITY_RULE_ADDED: Rule(
        C, B, Bump.MINOR, "Quality rule {detail} was added; writers must satisfy it."
    ),
    K.QUALITY_RULE_REMOVED: Rule(
        B,
        C,
        Bump.MAJOR,
        "Quality rule {detail} was removed; readers can no longer rely on it.",
    ),
    K.QUALITY_RULE_TIGHTENED: Rule(
        C,
        B,
        Bump.MINOR,
        "Quality rule {detail} was tightened; writers must satisfy the stricter rule.",
    ),
    K.QUALITY_RULE_RELAXED: Rule(
        B,
        C,
        Bump.MAJOR,
        "Quality rule {detail} was relaxed; readers may see data it used to reject.",
    ),
    K.QUALITY_RULE_CHANGED: Rule(
        U,
        U,
        Bump.MAJOR,
        "Quality rule {detail} now checks something else; the engine cannot order the two.",
    ),
    K.QUALITY_RULE_NOTES_CHANGED: Rule(
        C,
        C,
        Bump.PATCH,
        "The description of quality rule {detail} changed; it accepts the same data.",
    ),
    K.SLA_ADDED: Rule(C, B, Bump.MINOR, "{table} now promises {after}; the producer must meet it."),
    K.SLA_REMOVED: Rule(
        B, C, Bump.MAJOR, "{table} no longer promises {before}; readers can no longer rely on it."
    ),
    K.SLA_TIGHTENED: Rule(
        C,
        B,
        Bump.MINOR,
        "{table} now promises {after} instead of {before}; the producer must meet it.",
    ),
    K.SLA_RELAXED: Rule(
        B,
        C,
        Bump.MAJOR,
        "{table} now promises only {after} instead of {before}; readers relying on it are let down.",
    ),
    K.SLA_CHANGED: Rule(
        U,
        U,
        Bump.MAJOR,
        "{table} now promises {after} instead of {before}; the engine cannot tell which is stricter.",
    ),
}

# A column or table removed after a version announced it deprecated: still breaking, but the
# reason says readers were told.
DEPRECATED_COLUMN_REMOVED = Rule(
    B,
    B,
    Bump.MAJOR,
    "Column {column} was removed from {table} as announced (the previous version deprecated it); "
    "queries that still read it fail.",
)
DEPRECATED_TABLE_REMOVED = Rule(
    B,
    B,
    Bump.MAJOR,
    "Table {table} was removed as announced (the previous version deprecated it); "
    "queries that still read it fail.",
)

# A column added NOT NULL without a default breaks writers that still send old-shaped rows.
ADDED_REQUIRED_COLUMN = Rule(
    C,
    B,
    Bump.MINOR,
    "Column {column} was added to {table} as NOT NULL without a default; writers must supply it.",
)
UNKNOWN_TYPE_CHANGE = Rule(
    U, U, Bump.MAJOR, "Column {column} of {table} changed type from {before} to {after}; {detail}."
)


# At `--level strict` these widenings also break readers: consumers that bind exact
# types (generated classes, exhaustive matches on an enum) fail on a wider domain.
STRICT_BREAKING = frozenset({K.COLUMN_TYPE_WIDENED, K.ENUM_VALUES_ADDED})


SHIFT_KIND: Mapping[Shift, ChangeKind] = {
    Shift.WIDENED: K.COLUMN_TYPE_WIDENED,
    Shift.NARROWED: K.COLUMN_TYPE_NARROWED,
    Shift.CHANGED: K.COLUMN_TYPE_CHANGED,
    Shift.UNKNOWN: K.COLUMN_TYPE_CHANGED,
}
