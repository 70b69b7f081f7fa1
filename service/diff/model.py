"""Values the diff engine returns: change kinds, verdicts, changes, change sets, bumps."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ChangeKind(StrEnum):
    """Every kind of change, named exactly as in diff-rules.md (a public contract)."""

    TABLE_ADDED = "table_added"
    TABLE_REMOVED = "table_removed"
    TABLE_RENAMED = "table_renamed"
    COLUMN_ADDED = "column_added"
    COLUMN_REMOVED = "column_removed"
    COLUMN_RENAMED = "column_renamed"
    COLUMN_REORDERED = "column_reordered"
    COLUMN_TYPE_WIDENED = "column_type_widened"
    COLUMN_TYPE_NARROWED = "column_type_narrowed"
    COLUMN_TYPE_CHANGED = "column_type_changed"
    COLUMN_NULLABILITY_RELAXED = "column_nullability_relaxed"
    COLUMN_NULLABILITY_TIGHTENED = "column_nullability_tightened"
    PRIMARY_KEY_ADDED = "primary_key_added"
    PRIMARY_KEY_REMOVED = "primary_key_removed"
    PRIMARY_KEY_CHANGED = "primary_key_changed"
    UNIQUE_ADDED = "unique_added"
    UNIQUE_REMOVED = "unique_removed"
    CHECK_ADDED = "check_added"
    CHECK_REMOVED = "check_removed"
    FOREIGN_KEY_ADDED = "foreign_key_added"
    FOREIGN_KEY_REMOVED = "foreign_key_removed"
    ENUM_VALUES_ADDED = "enum_values_added"
    ENUM_VALUES_REMOVED = "enum_values_removed"
    DEFAULT_ADDED = "default_added"
    DEFAULT_CHANGED = "default_changed"
    DEFAULT_REMOVED = "default_removed"
    COLUMN_COMMENT_CHANGED = "column_comment_changed"
    TABLE_COMMENT_CHANGED = "table_comment_changed"
    PARTITIONING_CHANGED = "partitioning_changed"
    CLUSTERING_CHANGED = "clustering_changed"
    COLUMN_DEPRECATED = "column_deprecated"
    TABLE_DEPRECATED = "table_deprecated"
    QUALITY_RULE_ADDED = "quality_rule_added"
    QUALITY_RULE_REMOVED = "quality_rule_removed"
    QUALITY_RULE_TIGHTENED = "quality_rule_tightened"
    QUALITY_RULE_RELAXED = "quality_rule_relaxed"
    QUALITY_RULE_CHANGED = "quality_rule_changed"
    QUALITY_RULE_NOTES_CHANGED = "quality_rule_notes_changed"
    SLA_ADDED = "sla_added"
    SLA_REMOVED = "sla_removed"
    SLA_TIGHTENED = "sla_tightened"
    SLA_RELAXED = "sla_relaxed"
    SLA_CHANGED = "sla_changed"


class Verdict(StrEnum):
    """How a change lands on one side; `unknown` is an honest answer, not a guess."""

    BREAKING = "breaking"
    COMPATIBLE = "compatible"
    NEEDS_REVIEW = "needs_review"
    UNKNOWN = "unknown"


class Bump(StrEnum):
    """The semver bump a change set calls for."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two schemas, with its verdicts and a reason for consumers."""

    kind: ChangeKind
    table: str
    column: str | None
    before: str | None
    after: str | None
    verdict: Verdict
    writer_verdict: Verdict
    reason: str
    #: Every column the change concerns, as the NEW schema names them (empty: the whole table).
    columns: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The change as `steward diff --format json` prints it."""
        return {
            "kind": self.kind.value,
            "table": self.table,
            "column": self.column,
            "columns": list(self.columns),
            "before": self.before,
            "after": self.after,
            "verdict": self.verdict.value,
            "writer_verdict": self.writer_verdict.value,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """All changes between two schemas and the bump they call for."""

    changes: tuple[Change, ...]
    bump: Bump
    #: What the schema readers read past, each prefixed `old:` or `new:` (never a verdict).
    warnings: tuple[str, ...] = ()

    @property
    def breaking(self) -> bool:
        """True when any change breaks readers."""
        return any(c.verdict is Verdict.BREAKING for c in self.changes)

    @property
    def unknown(self) -> bool:
        """True when some change cannot be decided for readers."""
        return any(c.verdict is Verdict.UNKNOWN for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        """The change set as `steward diff --format json` prints it."""
        return {
            "bump": self.bump.value,
            "breaking": self.breaking,
            "unknown": self.unknown,
            "warnings": list(self.warnings),
            "changes": [c.to_json() for c in self.changes],
        }
