"""Each change named as the OLD schema names it: the one conversion every impact door uses.

Readers (subscriptions, downstream SQL, models, jobs) were written against the OLD schema, so
a change inside a renamed table is named by the old table and a renamed column by its old
name. Rename hints reach here as the diff's TABLE_RENAMED and COLUMN_RENAMED changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.diff.model import Change, ChangeKind, ChangeSet, Verdict
from service.diff.policy import decide

#: Reader verdicts that reach readers: breaking, and what cannot be decided.
BREAKING_FOR_READERS = frozenset({Verdict.BREAKING, Verdict.UNKNOWN})


@dataclass(frozen=True, slots=True)
class OldNamed:
    """One change with the table and columns it concerns, as OLD names them.

    `columns` empty means the change concerns the whole table.
    """

    change: Change
    table: str
    columns: tuple[str, ...]

    @property
    def breaking(self) -> bool:
        """The change breaks readers (or cannot be decided): what blocks `steward diff`."""
        return decide((self.change,)).blocks()


def old_named(changes: ChangeSet) -> list[OldNamed]:
    """Every change of CHANGES, named as the OLD schema spells it.

    >>> from service.diff.model import Bump
    >>> renamed = Change(ChangeKind.COLUMN_RENAMED, "shop.orders", "total", "amount", "total",
    ...                  Verdict.BREAKING, Verdict.BREAKING, "renamed", ("total",))
    >>> [(o.table, o.columns) for o in old_named(ChangeSet((renamed,), Bump.MAJOR))]
    [('shop.orders', ('amount',))]
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
        names = change.columns or ((change.column,) if change.column is not None else ())
        found.append(
            OldNamed(
                change,
                old_tables.get(change.table, change.table),
                tuple(old_columns.get((change.table, c), c) for c in names),
            )
        )
    return found


__all__ = ["BREAKING_FOR_READERS", "OldNamed", "old_named"]
