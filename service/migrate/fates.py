"""What became of each OLD table and column in NEW: the facts views, alternative and rewrites share.

Read from the diff's own changes (named as OLD names them, `service.diff.old_names`) and
the rename hints it resolved (`service.diff.split_renames`): nothing here compares schemas
a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.diff.engine import split_renames
from service.diff.model import Change, ChangeKind, ChangeSet
from service.diff.old_names import old_named
from service.schema.model import Column, Schema, Table, TypeFamily

K = ChangeKind

#: Changes of a column's type, after which its values read differently.
TYPE_KINDS = frozenset(
    {
        K.COLUMN_TYPE_WIDENED,
        K.COLUMN_TYPE_NARROWED,
        K.COLUMN_TYPE_CHANGED,
        K.ENUM_VALUES_ADDED,
        K.ENUM_VALUES_REMOVED,
    }
)
#: Changes of the set of columns `SELECT *` reads.
SHAPE_KINDS = frozenset({K.COLUMN_ADDED, K.COLUMN_REMOVED, K.COLUMN_RENAMED})
#: Type families whose values do not cast to and from other families as the same values.
NOT_CASTABLE = frozenset(
    {
        TypeFamily.ARRAY,
        TypeFamily.STRUCT,
        TypeFamily.MAP,
        TypeFamily.JSON,
        TypeFamily.GEO,
        TypeFamily.ENUM,
        TypeFamily.OTHER,
    }
)


@dataclass(frozen=True, slots=True)
class ColumnFate:
    """One OLD column: its NEW column (None: removed) and the change of its type, if any."""

    old: Column
    new: Column | None
    type_change: Change | None = None
    removal: Change | None = None

    @property
    def renamed(self) -> bool:
        """The column reads under another name in NEW."""
        return self.new is not None and self.new.name != self.old.name

    @property
    def retyped(self) -> bool:
        """The column's values read differently (another family, or narrower)."""
        return self.type_change is not None and self.type_change.kind is not K.COLUMN_TYPE_WIDENED

    @property
    def castable(self) -> bool:
        """A cast from the NEW type back to the OLD one gives back the old values."""
        if self.new is None:
            return False
        families = {self.old.type.family, self.new.type.family}
        return not families & NOT_CASTABLE or self.old.type == self.new.type


@dataclass(frozen=True, slots=True)
class TableFate:
    """One OLD table: its NEW table (None: removed), each column's fate, and its changes."""

    old: Table
    new: Table | None
    columns: tuple[ColumnFate, ...]
    changes: tuple[Change, ...]

    @property
    def name(self) -> str:
        """The table's OLD name."""
        return self.old.name

    @property
    def renamed(self) -> bool:
        """The table reads under another name in NEW."""
        return self.new is not None and self.new.name != self.old.name

    @property
    def reshaped(self) -> bool:
        """Any column was added, removed, renamed or retyped (widened included)."""
        return any(c.kind in SHAPE_KINDS | TYPE_KINDS for c in self.changes)

    @property
    def star_changed(self) -> bool:
        """`SELECT *` over the table reads other columns, or values of another type."""
        return any(c.kind in SHAPE_KINDS | {K.COLUMN_TYPE_CHANGED} for c in self.changes)

    def column(self, name: str) -> ColumnFate | None:
        """The fate of the OLD column of this name."""
        for fate in self.columns:
            if fate.old.name == name:
                return fate
        return None

    @property
    def removal(self) -> Change | None:
        """The change that removed the table, if it was removed."""
        return next((c for c in self.changes if c.kind is K.TABLE_REMOVED), None)


def fates(
    old: Schema, new: Schema, changes: ChangeSet, renames: Mapping[str, str]
) -> list[TableFate]:
    """The fate of every OLD table that CHANGES touch, in OLD's order."""
    table_renames, column_renames = split_renames(renames, old)
    by_table: dict[str, list[tuple[Change, tuple[str, ...]]]] = {}
    for named in old_named(changes):
        by_table.setdefault(named.table, []).append((named.change, named.columns))
    found = []
    for table in old.tables:
        touching = by_table.get(table.name)
        if not touching:
            continue
        target = new.table(table_renames.get(table.name, table.name))
        columns = []
        for col in table.columns:
            mine = [c for c, names in touching if col.name in names]
            removal = next((c for c in mine if c.kind is K.COLUMN_REMOVED), None)
            new_col = None
            if target is not None and removal is None:
                new_col = target.column(column_renames.get((table.name, col.name), col.name))
            type_change = next((c for c in mine if c.kind in TYPE_KINDS), None)
            columns.append(ColumnFate(col, new_col, type_change, removal))
        found.append(TableFate(table, target, tuple(columns), tuple(c for c, _ in touching)))
    return found
