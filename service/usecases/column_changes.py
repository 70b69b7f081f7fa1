"""A change set as the column changes lineage takes, named as the OLD schema names them.

The one conversion from the diff's changes to lineage's: the CLI's `--downstream`, the API's
change requests and the notices all go through `column_changes`. A change concerning several
columns (a composite key, a CHECK over two columns) becomes one lineage change per column; a
change concerning no column is table-level.
"""

from __future__ import annotations

from lineage import ColumnChange
from service.diff.model import ChangeSet
from service.diff.old_names import old_named


def column_changes(changes: ChangeSet) -> list[ColumnChange]:
    """Each change as lineage `ColumnChange`s, named as the OLD schema spells them."""
    return [change for _, change in origins(changes)]


def origins(changes: ChangeSet) -> list[tuple[int, ColumnChange]]:
    """(position of the change in CHANGES, lineage `ColumnChange`) for each, OLD-named."""
    found = []
    for position, named in enumerate(old_named(changes)):
        kind, breaking = named.change.kind.value, named.breaking
        if not named.columns:
            found.append((position, ColumnChange(named.table, None, kind, breaking=breaking)))
        for column in named.columns:
            found.append((position, ColumnChange(named.table, column, kind, breaking=breaking)))
    return found


__all__ = ["column_changes", "origins"]
