"""Values a migration plan is made of: compatibility views, the alternative, rewritten consumers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from service.diff.model import ChangeSet


class Status(StrEnum):
    """What became of one consumer's SQL."""

    UNCHANGED = "unchanged"
    REWRITTEN = "rewritten"
    BREAKS = "breaks"


@dataclass(frozen=True, slots=True)
class CompatibilityView:
    """The old version's shape of one table, as a view over the new table."""

    table: str
    name: str
    sql: str
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The view as `steward migrate --format json` prints it."""
        return {
            "table": self.table,
            "name": self.name,
            "sql": self.sql,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class Amendment:
    """One change to the proposed schema that keeps readers working, and its contract step."""

    table: str
    column: str | None
    note: str
    contract: str

    def to_json(self) -> dict[str, Any]:
        """The amendment as a note of the alternative."""
        return {
            "table": self.table,
            "column": self.column,
            "note": self.note,
            "contract": self.contract,
        }


@dataclass(frozen=True, slots=True)
class Alternative:
    """The proposed schema amended so it breaks no reader (expand), and what follows (contract)."""

    schema: str
    notes: tuple[Amendment, ...]

    def to_json(self) -> dict[str, Any]:
        """The alternative as `steward migrate --format json` prints it."""
        return {"schema": self.schema, "notes": [n.to_json() for n in self.notes]}


@dataclass(frozen=True, slots=True)
class Break:
    """Where a consumer's SQL breaks: the 1-based line, the column as written, and why."""

    line: int | None
    column: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The break as `steward migrate --format json` prints it."""
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Consumer:
    """One consumer's SQL: unchanged, rewritten for the new schema, or where it breaks."""

    file: str
    status: Status
    sql: str | None = None
    breaks: tuple[Break, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The consumer as `steward migrate --format json` prints it."""
        return {
            "file": self.file,
            "status": self.status.value,
            "sql": self.sql,
            "breaks": [b.to_json() for b in self.breaks],
        }


@dataclass(frozen=True, slots=True)
class Migration:
    """The migration path of a change set: views, the alternative, and each consumer's SQL."""

    changes: ChangeSet
    views: tuple[CompatibilityView, ...]
    alternative: Alternative | None
    consumers: tuple[Consumer, ...] = ()

    @property
    def breaks(self) -> bool:
        """Whether some consumer's SQL breaks (no rewrite exists)."""
        return any(c.status is Status.BREAKS for c in self.consumers)

    def to_json(self) -> dict[str, Any]:
        """The object `steward migrate --format json` prints."""
        return {
            "changes": [c.to_json() for c in self.changes.changes],
            "compatibility_views": [v.to_json() for v in self.views],
            "alternative": self.alternative.to_json() if self.alternative else None,
            "consumers": [c.to_json() for c in self.consumers],
        }
