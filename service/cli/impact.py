"""The diff's changes as lineage takes them, and the downstream impact of a change set.

Downstream SQL, models and jobs were written against the OLD schema, so every change is
named as OLD spells it: a change inside a renamed table names the old table, a renamed
column names its old name. A change counts as breaking when its reader verdict is
breaking or unknown (readers are what lineage finds downstream).
"""

from __future__ import annotations

from pathlib import Path

from lineage import ColumnChange, Impact, impact, load
from service.diff.model import ChangeKind, ChangeSet, Verdict
from service.schema.model import Schema
from service.schema.names import GENERIC

#: Reader verdicts that propagate downstream by default.
BREAKING_FOR_READERS = frozenset({Verdict.BREAKING, Verdict.UNKNOWN})


def column_changes(changes: ChangeSet) -> list[ColumnChange]:
    """Each change as a lineage `ColumnChange`, named as the OLD schema spells it.

    >>> from service.diff.model import Bump, Change
    >>> renamed = Change(ChangeKind.COLUMN_RENAMED, "shop.orders", "total", "amount", "total",
    ...                  Verdict.BREAKING, Verdict.BREAKING, "renamed")
    >>> column_changes(ChangeSet((renamed,), Bump.MAJOR))
    [ColumnChange(table='shop.orders', column='amount', kind='column_renamed', breaking=True)]
    """
    old_tables: dict[str, str] = {}
    old_columns: dict[tuple[str, str], str] = {}
    for change in changes.changes:
        if change.kind is ChangeKind.TABLE_RENAMED and change.before:
            old_tables[change.table] = change.before
        elif change.kind is ChangeKind.COLUMN_RENAMED and change.column and change.before:
            old_columns[(change.table, change.column)] = change.before
    found = []
    for change in changes.changes:
        column = change.column
        if column is not None:
            column = old_columns.get((change.table, column), column)
        found.append(
            ColumnChange(
                old_tables.get(change.table, change.table),
                column,
                change.kind.value,
                breaking=change.verdict in BREAKING_FOR_READERS,
            )
        )
    return found


def downstream_impact(
    path: Path, changes: ChangeSet, old: Schema, *, include_compatible: bool = False
) -> Impact:
    """What the changes reach downstream of OLD in PATH (SQL files, dbt manifest, OpenLineage).

    OLD's tables are the known upstream schemas, so `SELECT *` over them expands. The
    warnings hold everything lineage could not resolve while reading PATH, not only those
    about affected objects. Raises `lineage.LineageInputError` for a path it cannot read.
    """
    dialect = None if old.dialect == GENERIC else old.dialect
    graph = load(path, dialect=dialect, schemas=old.mapping())
    return impact(
        graph, column_changes(changes), include_compatible=include_compatible, all_warnings=True
    )


__all__ = ["BREAKING_FOR_READERS", "column_changes", "downstream_impact"]
