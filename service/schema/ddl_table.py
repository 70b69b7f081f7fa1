"""Reading one parsed CREATE TABLE (columns, constraints, comments, partitioning) into a Table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import sqlglot
from sqlglot import exp

from service.errors import SchemaParseError
from service.schema.model import Column, ColumnType, ForeignKey, Table, TypeFamily
from service.schema.names import (
    Fold,
    folds,
    ident_name,
    normalise_expression,
    sqlglot_dialect,
    table_name,
)
from service.schema.types import TypeReader

ErrorAt = Callable[[str, exp.Expression | None], SchemaParseError]
SERIALS = frozenset({"SERIAL", "BIGSERIAL", "SMALLSERIAL"})
UNTYPED = ColumnType(name="", family=TypeFamily.OTHER)


@dataclass(slots=True)
class _Col:
    name: str
    type: ColumnType
    nullable: bool = True
    default: str | None = None
    comment: str | None = None


def _comment_text(node: exp.Expression | None) -> str | None:
    if node is None or isinstance(node, exp.Null):
        return None
    return str(node.name) if isinstance(node, exp.Literal) else node.sql()


class TableReader:
    """Builds one Table from a `CREATE TABLE ... (columns)` statement."""

    def __init__(self, dialect: str, types: TypeReader, error: ErrorAt) -> None:
        self.dialect = dialect
        self.fold, self.table_fold = folds(dialect)
        self.types = types
        self.error = error
        self.name = ""
        self.columns: dict[str, _Col] = {}
        self.primary_key: list[str] = []
        self.uniques: set[tuple[str, ...]] = set()
        self.checks: set[str] = set()
        self.foreign_keys: set[ForeignKey] = set()
        self.comment: str | None = None
        self.partition_by: list[str] = []
        self.cluster_by: list[str] = []

    def read(self, create: exp.Create) -> Table:
        """The Table a CREATE TABLE statement declares."""
        schema = create.this
        self.name = table_name(schema.this, self.table_fold)
        items = schema.expressions
        for item in items:
            if isinstance(item, exp.ColumnDef):
                self._column(item)
        for item in items:
            if not isinstance(item, exp.ColumnDef):
                self._constraint(item, item)
        properties = create.args.get("properties")
        for prop in properties.expressions if properties is not None else ():
            self._property(prop)
        pk = set(self.primary_key)
        return Table(
            name=self.name,
            columns=tuple(
                Column(
                    name=c.name,
                    type=c.type,
                    nullable=c.nullable and c.name not in pk,
                    default=c.default,
                    comment=c.comment,
                    position=i,
                )
                for i, c in enumerate(self.columns.values())
            ),
            primary_key=tuple(self.primary_key),
            uniques=frozenset(self.uniques),
            checks=frozenset(self.checks),
            foreign_keys=frozenset(self.foreign_keys),
            comment=self.comment,
            partition_by=tuple(self.partition_by),
            cluster_by=tuple(self.cluster_by),
        )

    def _sql(self, node: exp.Expression) -> str:
        return normalise_expression(node, self.dialect, self.fold)

    def _column(self, cdef: exp.ColumnDef) -> None:
        ident = cdef.this
        name = self.fold(ident.this, bool(ident.args.get("quoted")))
        if name in self.columns:
            raise self.error(f"column {name} is declared twice in table {self.name}", cdef)
        kind = cdef.args.get("kind")
        col = _Col(name, self.types.read(kind) if isinstance(kind, exp.DataType) else UNTYPED)
        self.columns[name] = col
        if isinstance(kind, exp.DataType) and kind.this.name in SERIALS:
            # SERIAL is INT NOT NULL DEFAULT nextval('<table>_<column>_seq').
            col.nullable = False
            seq = f"{self.name.rsplit('.', 1)[-1]}_{name}_seq"
            nextval = sqlglot.parse_one(f"nextval('{seq}')", read="postgres")
            col.default = self._sql(nextval) if isinstance(nextval, exp.Expression) else None
        for constraint in cdef.constraints:
            self._column_constraint(col, constraint.args.get("kind"))

    def _column_constraint(self, col: _Col, kind: exp.Expression | None) -> None:
        if isinstance(kind, exp.NotNullColumnConstraint):
            col.nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            self._set_primary_key([col.name], kind)
        elif isinstance(kind, exp.UniqueColumnConstraint):
            self.uniques.add((col.name,))
        elif isinstance(kind, exp.DefaultColumnConstraint):
            col.default = self._sql(kind.this)
        elif isinstance(kind, exp.CheckColumnConstraint):
            self.checks.add(self._sql(kind.this))
        elif isinstance(kind, exp.Reference):
            self._foreign_key((col.name,), kind)
        elif isinstance(kind, exp.CommentColumnConstraint):
            col.comment = _comment_text(kind.this)
        elif isinstance(kind, exp.Properties):
            col.comment = self._description(kind.expressions, col.comment)
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            col.nullable = False  # an identity column is NOT NULL (SQL standard, T-SQL)
            col.default = kind.sql(sqlglot_dialect(self.dialect))
        elif isinstance(kind, exp.AutoIncrementColumnConstraint):
            col.default = kind.sql(sqlglot_dialect(self.dialect))

    def _description(self, props: Iterable[exp.Expression], current: str | None) -> str | None:
        for prop in props:
            if isinstance(prop, exp.Property) and str(prop.name).lower() == "description":
                return _comment_text(prop.args.get("value"))
        return current

    def _names(self, nodes: Iterable[exp.Expression], where: str) -> tuple[str, ...]:
        names = []
        for node in nodes:
            target = node.this if isinstance(node, exp.Ordered) else node
            name = ident_name(target, self.fold)
            if name not in self.columns:
                raise self.error(f"{where} of table {self.name} names unknown column {name}", node)
            names.append(name)
        return tuple(names)

    def _set_primary_key(self, names: list[str], node: exp.Expression) -> None:
        if self.primary_key and self.primary_key != names:
            raise self.error(f"table {self.name} declares more than one PRIMARY KEY", node)
        self.primary_key = names

    def _constraint(self, item: exp.Expression, origin: exp.Expression) -> None:
        if isinstance(item, exp.Constraint):
            parts = item.expressions
            clustered = [
                e
                for e in parts
                if isinstance(e, exp.ClusteredColumnConstraint | exp.NonClusteredColumnConstraint)
            ]
            for part in parts:
                if clustered and isinstance(
                    part, exp.PrimaryKeyColumnConstraint | exp.UniqueColumnConstraint
                ):
                    # T-SQL: CONSTRAINT pk PRIMARY KEY CLUSTERED (a, b)
                    cols = self._names(clustered[0].this, "the constraint")
                    if isinstance(part, exp.PrimaryKeyColumnConstraint):
                        self._set_primary_key(list(cols), item)
                    else:
                        self.uniques.add(cols)
                else:
                    self._constraint(part, item)
        elif isinstance(item, exp.PrimaryKey):
            self._set_primary_key(list(self._names(item.expressions, "PRIMARY KEY")), origin)
        elif isinstance(item, exp.UniqueColumnConstraint):
            target = item.this
            members = target.expressions if isinstance(target, exp.Schema) else [target]
            self.uniques.add(self._names(members, "UNIQUE"))
        elif isinstance(item, exp.ForeignKey):
            reference = item.args.get("reference")
            if isinstance(reference, exp.Reference):
                self._foreign_key(self._names(item.expressions, "FOREIGN KEY"), reference)
        elif isinstance(item, exp.CheckColumnConstraint):
            self.checks.add(self._sql(item.this))

    def _foreign_key(self, columns: tuple[str, ...], reference: exp.Reference) -> None:
        target = reference.this
        table = target.this if isinstance(target, exp.Schema) else target
        ref_cols = target.expressions if isinstance(target, exp.Schema) else []
        self.foreign_keys.add(
            ForeignKey(
                columns=columns,
                ref_table=table_name(table, self.table_fold),
                ref_columns=tuple(ident_name(c, self.fold) for c in ref_cols),
            )
        )

    def _keys(self, nodes: Iterable[exp.Expression]) -> list[str]:
        keys = []
        for node in nodes:
            target = node.this if isinstance(node, exp.Ordered) else node
            if isinstance(target, exp.ColumnDef):
                self._column(target)  # Hive: PARTITIONED BY (p STRING) declares a column
            if isinstance(target, exp.Column | exp.Identifier | exp.ColumnDef):
                keys.append(ident_name(target, self.fold))
            else:
                keys.append(self._sql(target))
        return keys

    def _property(self, prop: exp.Expression) -> None:
        if isinstance(prop, exp.PartitionedByProperty):
            target = prop.this
            nodes = target.expressions if isinstance(target, exp.Schema) else [target]
            self.partition_by = self._keys(nodes)
        elif isinstance(prop, exp.ClusterProperty | exp.ClusteredByProperty):
            self.cluster_by = self._keys(prop.expressions)
        elif isinstance(prop, exp.SchemaCommentProperty):
            self.comment = _comment_text(prop.this)
        elif isinstance(prop, exp.Property):
            self.comment = self._description([prop], self.comment)

    @staticmethod
    def apply_comment(
        tables: dict[str, Table], comment: exp.Comment, column_fold: Fold, table_fold: Fold
    ) -> None:
        """Apply a `COMMENT ON TABLE/COLUMN ... IS '...'` to a table of the script, if declared."""
        kind = str(comment.args.get("kind") or "").upper()
        target = comment.this
        text = _comment_text(comment.expression)
        if kind == "TABLE" and isinstance(target, exp.Table):
            name = table_name(target, table_fold)
            if name in tables:
                tables[name] = replace(tables[name], comment=text)
        elif kind == "COLUMN" and isinstance(target, exp.Column):
            parts = [target.args.get(k) for k in ("catalog", "db", "table")]
            name = ".".join(ident_name(p, table_fold) for p in parts if p is not None)
            table = tables.get(name)
            column = ident_name(target, column_fold)
            if table is not None and table.column(column) is not None:
                tables[name] = replace(
                    table,
                    columns=tuple(
                        replace(c, comment=text) if c.name == column else c for c in table.columns
                    ),
                )
