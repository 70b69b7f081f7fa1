"""The expand/contract alternative: the proposed schema amended so that it breaks no reader.

Expand now (keep what readers use beside what the proposal adds), contract after the old
version's sunset (the statements each note carries). The amended schema is diffed against
OLD again, without rename hints, and offered only when that diff breaks no reader.
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from service.diff import diff_schemas
from service.diff.model import ChangeKind, ChangeSet
from service.diff.old_names import BREAKING_FOR_READERS
from service.migrate.fates import TableFate
from service.migrate.model import Alternative, Amendment
from service.migrate.spelling import identifier, table_ref
from service.schema.model import Column, Schema, Table
from service.schema.names import sqlglot_dialect
from service.schema.render import render_ddl

K = ChangeKind
#: Guarantees readers lose when one of these changes is made: the OLD ones are kept.
KEPT_GUARANTEES = frozenset(
    {
        K.PRIMARY_KEY_REMOVED,
        K.PRIMARY_KEY_CHANGED,
        K.UNIQUE_REMOVED,
        K.CHECK_REMOVED,
        K.FOREIGN_KEY_REMOVED,
    }
)


def _sql(node: exp.Expr, dialect: str) -> str:
    return node.sql(dialect=sqlglot_dialect(dialect)) + ";"


def _drop_table(name: str, dialect: str) -> str:
    return _sql(exp.Drop(tables=[table_ref(name, dialect)], kind="TABLE"), dialect)


def _alter(name: str, action: exp.Expr, dialect: str) -> str:
    node = exp.Alter(this=table_ref(name, dialect), kind="TABLE", actions=[action])
    return _sql(node, dialect)


def _drop_column(table: str, column: str, dialect: str) -> str:
    target = exp.column(identifier(column, dialect))
    return _alter(table, exp.Drop(tables=[target], kind="COLUMN"), dialect)


def _rename_column(table: str, old: str, new: str, dialect: str) -> str:
    action = exp.RenameColumn(
        this=exp.column(identifier(old, dialect)), to=exp.column(identifier(new, dialect))
    )
    return _alter(table, action, dialect)


def _not_null(table: str, column: str, dialect: str) -> str:
    # sqlglot writes SET NOT NULL for few dialects; the statement is advice for after the sunset.
    read = sqlglot_dialect(dialect)
    target = table_ref(table, dialect).sql(dialect=read)
    name = identifier(column, dialect).sql(dialect=read)
    return f"ALTER TABLE {target} ALTER COLUMN {name} SET NOT NULL;"


class _Amender:
    """Amends the NEW tables one OLD table at a time, writing a note per amendment."""

    def __init__(self, new: Schema, new_major: int) -> None:
        self.tables: dict[str, Table] = {t.name: t for t in new.tables}
        self.notes: list[Amendment] = []
        self.dialect = new.dialect
        self.suffix = f"_v{new_major}"

    def note(self, table: str, column: str | None, text: str, contract: str) -> None:
        self.notes.append(Amendment(table, column, text, contract))

    def table(self, fate: TableFate) -> None:
        if fate.new is None or fate.renamed:
            what = "removed" if fate.new is None else f"renamed to {fate.new.name}"
            self.tables[fate.name] = fate.old
            self.note(
                fate.name,
                None,
                f"table {fate.name} is kept as it is ({what} in the proposal): "
                "keep writing it until the old version's sunset",
                _drop_table(fate.name, self.dialect),
            )
            return
        table = self.tables[fate.new.name]
        columns = {c.name: c for c in table.columns}
        kept: list[Column] = []
        for column in fate.columns:
            self.column(fate, column.old, column.new, columns, kept)
        self.added(fate, table, columns)
        self.tables[table.name] = self.guarantees(
            fate, replace(table, columns=(*columns.values(), *kept))
        )

    def column(
        self,
        fate: TableFate,
        old: Column,
        new: Column | None,
        columns: dict[str, Column],
        kept: list[Column],
    ) -> None:
        name, dialect = fate.new.name if fate.new else fate.name, self.dialect
        breaking = [c for c in fate.changes if old.name in c.columns or c.column == old.name]
        if new is None:
            kept.append(old)
            self.note(
                name,
                old.name,
                f"column {old.name} is kept (removed in the proposal)",
                _drop_column(name, old.name, dialect),
            )
        elif new.name != old.name:
            kept.append(old)
            self.note(
                name,
                old.name,
                f"column {old.name} is kept beside its new name {new.name}: write both",
                _drop_column(name, old.name, dialect),
            )
        elif any(
            c.kind in (K.COLUMN_TYPE_NARROWED, K.COLUMN_TYPE_CHANGED, K.ENUM_VALUES_REMOVED)
            and c.verdict in BREAKING_FOR_READERS
            for c in breaking
        ):
            beside = f"{new.name}{self.suffix}"
            columns[old.name] = old
            columns[beside] = replace(new, name=beside, nullable=True)
            self.note(
                name,
                old.name,
                f"column {old.name} keeps its type {old.type}; the new type {new.type} is added "
                f"beside it as {beside}: write both",
                " ".join(
                    (
                        _drop_column(name, old.name, dialect),
                        _rename_column(name, beside, old.name, dialect),
                    )
                ),
            )
        elif not old.nullable and new.nullable:
            columns[new.name] = replace(new, nullable=False)
            self.note(
                name,
                old.name,
                f"column {old.name} stays NOT NULL (the proposal lets it be NULL)",
                f"-- then let {old.name} be NULL",
            )

    def added(self, fate: TableFate, table: Table, columns: dict[str, Column]) -> None:
        known = {c.new.name for c in fate.columns if c.new is not None}
        for column in table.columns:
            if column.name in known or column.nullable or column.default is not None:
                continue
            columns[column.name] = replace(column, nullable=True)
            self.note(
                table.name,
                column.name,
                f"new column {column.name} is added without NOT NULL, so writers of the old "
                "version keep working",
                _not_null(table.name, column.name, self.dialect),
            )

    def guarantees(self, fate: TableFate, table: Table) -> Table:
        lost = {c.kind for c in fate.changes if c.kind in KEPT_GUARANTEES}
        if not lost:
            return table
        amended = replace(
            table,
            primary_key=fate.old.primary_key or table.primary_key,
            uniques=table.uniques | fate.old.uniques,
            checks=table.checks | fate.old.checks,
            foreign_keys=table.foreign_keys | fate.old.foreign_keys,
        )
        self.note(
            table.name,
            None,
            f"the old keys and checks of {fate.name} are kept ({', '.join(sorted(lost))})",
            "-- then drop the guarantees the proposal removes",
        )
        return amended


def alternative(
    old: Schema, new: Schema, changes: ChangeSet, fates: list[TableFate], new_major: int
) -> Alternative | None:
    """NEW amended so that it breaks no reader (nor a writer's NOT NULL), or None if none is needed."""
    sides = ((c.verdict, c.writer_verdict) for c in changes.changes)
    if not any(side in BREAKING_FOR_READERS for pair in sides for side in pair):
        return None
    amender = _Amender(new, new_major)
    for fate in fates:
        amender.table(fate)
    amended = Schema(new.dialect, tuple(amender.tables.values()))
    proof = diff_schemas(old, amended)
    if not amender.notes or any(c.verdict in BREAKING_FOR_READERS for c in proof.changes):
        return None
    return Alternative(render_ddl(amended, new.dialect), tuple(amender.notes))
