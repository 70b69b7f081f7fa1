"""Compatibility views: the OLD version's shape of each changed table, over the NEW table."""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

from service.diff.model import ChangeKind
from service.migrate.fates import ColumnFate, TableFate
from service.migrate.model import CompatibilityView
from service.migrate.spelling import cast, identifier, table_ref, write


def view_name(table: str, major: int) -> str:
    """The default name of a table's compatibility view: `shop.orders_v1` for major 1.

    The suffix takes the case of the name, so that it needs no quotes where the dialect
    folds to upper case: `SHOP.ORDERS_V1`.
    """
    schema, dot, name = table.rpartition(".")
    return f"{schema}{dot}{name}{'_V' if name.isupper() else '_v'}{major}"


def compatibility_views(
    fates: Iterable[TableFate], dialect: str, old_major: int
) -> list[CompatibilityView]:
    """One view per table whose name or columns changed; a removed table has none.

    Renamed columns are aliased back to their OLD names, retyped and widened ones cast back
    to their OLD type, added columns left out, removed columns read as a typed NULL.
    """
    views = []
    for fate in fates:
        if fate.new is None or not (fate.renamed or fate.reshaped):
            continue
        projections: list[exp.Expr] = []
        warnings: list[str] = []
        for column in fate.columns:
            node, warning = _projection(column, fate, dialect)
            projections.append(node)
            warnings += warning
        name = view_name(fate.name, old_major)
        select = exp.select(*projections).from_(table_ref(fate.new.name, dialect))
        create = exp.Create(this=table_ref(name, dialect), kind="VIEW", expression=select)
        views.append(CompatibilityView(fate.name, name, write(create, dialect), tuple(warnings)))
    return views


def _projection(column: ColumnFate, fate: TableFate, dialect: str) -> tuple[exp.Expr, list[str]]:
    """The view's expression for one OLD column, and what a reader should know about it."""
    old = column.old
    alias = identifier(old.name, dialect)
    if column.new is None:
        reason = f"column {old.name} was removed from {fate.name}: the view returns NULL for it"
        return exp.alias_(cast(exp.null(), old.type, dialect), alias), [reason]
    node: exp.Expr = exp.column(identifier(column.new.name, dialect))
    warnings = []
    if column.type_change is not None and old.type != column.new.type:
        change = f"{column.new.type} -> {old.type}"
        if not column.castable:
            warnings.append(
                f"column {old.name} of {fate.name} cannot be cast back ({change}): "
                f"the view returns it as {column.new.type}"
            )
        else:
            node = cast(node, old.type, dialect)
            if column.type_change.kind is ChangeKind.COLUMN_TYPE_WIDENED:
                warnings.append(
                    f"column {old.name} of {fate.name} is cast back ({change}): "
                    "new values beyond the old type fail the cast"
                )
    if old.nullable is False and column.new.nullable:
        warnings.append(f"column {old.name} of {fate.name} may now be NULL")
    if node.name != old.name or isinstance(node, exp.Cast):
        node = exp.alias_(node, alias)
    return node, warnings
