"""The diff's changes as lineage takes them, and the downstream impact of a change set.

Downstream SQL, models and jobs were written against the OLD schema, so every change is
named as OLD spells it: a change inside a renamed table names the old table, a renamed
column names its old name. A change counts as breaking when its reader verdict is
breaking or unknown (readers are what lineage finds downstream).
"""

from __future__ import annotations

from pathlib import Path

from lineage import ColumnChange, Impact, LineageGraph, LineageWarning, impact, load
from service.diff.model import ChangeKind, ChangeSet, Verdict
from service.schema.model import Schema
from service.schema.names import GENERIC, folds

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
    retargeted: dict[str, str] = {}
    spellings = _column_spellings(graph) if _columns_ignore_case(old.dialect) else None
    lineage_changes = []
    for change in column_changes(changes):
        if change.table not in retargeted:
            retargeted[change.table] = _read_name(graph, change.table)
        table = retargeted[change.table]
        columns: list[str | None] = [change.column]
        if spellings is not None and change.column is not None:
            columns = spellings.get((table, change.column.casefold()), columns)
        lineage_changes += [
            ColumnChange(table, column, change.kind, change.breaking) for column in columns
        ]
    found = impact(graph, lineage_changes, include_compatible=include_compatible)
    noted = {w.object for w in found.warnings}
    warnings = [
        LineageWarning(f"{name} matched {table} by a partial name", object=name)
        for table, name in retargeted.items()
        if name != table and not noted & {table, name}
    ]
    for warning in (*found.warnings, *graph.warnings):
        if warning not in warnings:
            warnings.append(warning)
    return Impact(found.affected, tuple(warnings))


def _read_name(graph: LineageGraph, table: str) -> str:
    """The object PATH's readers know a changed table by.

    OLD's tables enter the graph under the diff's names. When nothing reads the table under
    that name but exactly one other object that it partially names (or that partially names
    it) has readers (`raw.orders` for a dbt source `analytics.raw.orders`), that one is meant.
    """
    succ = graph.graph.succ
    if table not in graph.graph or succ[table]:
        return table
    read = [name for name in graph.names.related(table) if name != table and succ[name]]
    return read[0] if len(read) == 1 else table


def _columns_ignore_case(dialect: str) -> bool:
    """Whether the diff resolves the dialect's column names case-insensitively (MySQL).

    Lineage keeps such names as written (`Status` in a view beside `status` in OLD), so a
    change then matches every spelling of its column.
    """
    fold = folds(dialect)[0]
    return fold("Ab", True) == fold("aB", True)


def _column_spellings(graph: LineageGraph) -> dict[tuple[str, str], list[str | None]]:
    """Every spelling of each column node in the graph, keyed by (object, case-folded column)."""
    found: dict[tuple[str, str], list[str | None]] = {}
    for node in graph.graph:
        if isinstance(node, tuple):
            found.setdefault((node[0], node[1].casefold()), []).append(node[1])
    return found


__all__ = ["BREAKING_FOR_READERS", "column_changes", "downstream_impact"]
