"""Reading one parsed CREATE TABLE (columns, constraints, comments, partitioning) into a Table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace

import sqlglot
from sqlglot import exp

from service.errors import SchemaParseError
from service.schema.canonical import MAX_CACHED, TypeReader
from service.schema.model import Column, ColumnType, ForeignKey, Table, TypeFamily
from service.schema.names import (
    folds,
    ident_name,
    normalise_expression,
    sql_writer,
    sqlglot_dialect,
    table_name,
)

ErrorAt = Callable[[str, exp.Expression | None], SchemaParseError]
WarnAt = Callable[[str, exp.Expression | None], None]
_T = exp.DataType.Type
SERIALS = frozenset(id(t) for t in (_T.SERIAL, _T.BIGSERIAL, _T.SMALLSERIAL))
UNTYPED = ColumnType(name="", family=TypeFamily.OTHER)


_COLUMN_FIELDS = ("name", "type", "nullable", "default", "comment", "position")
# Fields DDL never sets (contract terms), left at their defaults by the fast constructor.
_CONTRACT_FIELDS = ("enum", "deprecated", "quality")


def _make_plain_column() -> Callable[[str, ColumnType, bool, int], Column]:
    """A constructor for a Column without default or comment, for the hot loop.

    The frozen dataclass's __init__ costs about twice as much as setting its slots
    directly (which is what it does, through object.__setattr__); if the model grows a
    field, fall back to the constructor.
    """
    if tuple(f.name for f in fields(Column)) != _COLUMN_FIELDS + _CONTRACT_FIELDS:
        return lambda name, ctype, nullable, position: Column(
            name, ctype, nullable, None, None, position
        )
    s_name, s_type, s_null, s_default, s_comment, s_pos = (
        getattr(Column, n).__set__ for n in _COLUMN_FIELDS
    )
    s_enum, s_deprecated, s_quality = (getattr(Column, n).__set__ for n in _CONTRACT_FIELDS)
    new = object.__new__

    def plain(name: str, ctype: ColumnType, nullable: bool, position: int) -> Column:
        col = new(Column)
        s_name(col, name)
        s_type(col, ctype)
        s_null(col, nullable)
        s_default(col, None)
        s_comment(col, None)
        s_pos(col, position)
        s_enum(col, ())
        s_deprecated(col, False)
        s_quality(col, ())
        return col

    return plain


plain_column = _make_plain_column()


@dataclass(slots=True)
class _Col:
    name: str
    type: ColumnType
    nullable: bool = True
    default: str | None = None
    comment: str | None = None


def comment_text(node: exp.Expression | None) -> str | None:
    """The text of a comment literal (None for NULL)."""
    if node is None or isinstance(node, exp.Null):
        return None
    return str(node.name) if isinstance(node, exp.Literal) else node.sql()


class TableReader:
    """Builds one Table from a `CREATE TABLE ... (columns)` statement."""

    def __init__(
        self, dialect: str, types: TypeReader, error: ErrorAt, warn: WarnAt | None = None
    ) -> None:
        self.dialect = dialect
        self.fold, self.table_fold = folds(dialect)
        self.types = types
        self.error = error
        self.warn = warn
        self._write: Callable[[exp.Expression], str] | None = None
        self.name = ""
        self.columns: dict[str, Column] = {}
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
        others = self._columns(schema.args.get("expressions") or [])
        for item in others:
            self._constraint(item, item)
        properties = create.args.get("properties")
        for prop in properties.expressions if properties is not None else ():
            self._property(prop)
        return self.build()

    def build(self) -> Table:
        """The Table read so far; primary key columns are NOT NULL."""
        columns = tuple(self.columns.values())
        if self.primary_key:
            pk = set(self.primary_key)
            columns = tuple(
                replace(c, nullable=False) if c.nullable and c.name in pk else c for c in columns
            )
        return Table(
            name=self.name,
            columns=columns,
            primary_key=tuple(self.primary_key),
            uniques=frozenset(self.uniques),
            checks=frozenset(self.checks),
            foreign_keys=frozenset(self.foreign_keys),
            comment=self.comment,
            partition_by=tuple(self.partition_by),
            cluster_by=tuple(self.cluster_by),
        )

    @classmethod
    def resume(
        cls,
        table: Table,
        dialect: str,
        types: TypeReader,
        error: ErrorAt,
        warn: WarnAt | None = None,
    ) -> TableReader:
        """A reader holding an already read Table, to apply ALTER TABLE actions to."""
        reader = cls(dialect, types, error, warn)
        reader.name = table.name
        reader.columns = {c.name: c for c in table.columns}
        reader.primary_key = list(table.primary_key)
        reader.uniques = set(table.uniques)
        reader.checks = set(table.checks)
        reader.foreign_keys = set(table.foreign_keys)
        reader.comment = table.comment
        reader.partition_by = list(table.partition_by)
        reader.cluster_by = list(table.cluster_by)
        return reader

    def alter(self, alter: exp.Alter) -> Table:
        """Apply ALTER TABLE ADD COLUMN / ADD CONSTRAINT / ALTER COLUMN [SET|DROP] DEFAULT|NOT NULL.

        Any other action (DROP, RENAME, a type change) is refused rather than half-applied.
        """
        for action in alter.args.get("actions") or ():
            if isinstance(action, exp.AddConstraint):
                for item in action.expressions:
                    self._constraint(item, action)
            elif isinstance(action, exp.ColumnDef):
                self._column(action)
            elif isinstance(action, exp.AlterColumn) and action.args.get("dtype") is None:
                self._alter_column(action)
            else:
                raise self.error(
                    f"ALTER TABLE {self.name} {action.sql(sqlglot_dialect(self.dialect))[:60]} "
                    "is not applied: declare the table's final shape in its CREATE TABLE",
                    alter,
                )
        return self.build()

    def _alter_column(self, action: exp.AlterColumn) -> None:
        name = self._names([action.this], "ALTER COLUMN")[0]
        col = self.columns[name]
        args = action.args
        default = args.get("default")
        if default is not None:
            col = replace(col, default=self._sql(default))
        elif args.get("drop") and args.get("allow_null") is None:
            col = replace(col, default=None)
        if args.get("allow_null") is not None:
            col = replace(col, nullable=bool(args["allow_null"]))
        self.columns[name] = col

    def write(self, node: exp.Expression) -> str:
        """The node as SQL of the dialect (the generator is made on first use: most tables
        have no default or check to write)."""
        if self._write is None:
            self._write = sql_writer(self.dialect)
        return self._write(node)

    def _sql(self, node: exp.Expression) -> str:
        return normalise_expression(node, self.fold, self.write)

    def _columns(self, items: list[exp.Expression]) -> list[exp.Expression]:
        """Read the column definitions and return the other items (table constraints).

        A plain typed column, or one with only NOT NULL, is read inline: this loop is the
        hot path of a big script. Anything else goes through `_column`.
        """
        others = []
        fold, columns, read_type = self.fold, self.columns, self.types.read
        known = self.types.by_key  # canonical types of argument-less sqlglot types, by id
        # Plain columns already built, by (name, type's identity, nullability, position): the
        # two versions of a schema a diff reads share their unchanged columns (no rebuild,
        # and the engine's comparison of two tables meets the same objects).
        shared = self.types.plain_columns
        column_def, data_type, not_null = exp.ColumnDef, exp.DataType, exp.NotNullColumnConstraint
        for item in items:
            if type(item) is not column_def:
                if isinstance(item, exp.Identifier | exp.Column):
                    self._untyped(item)
                else:
                    others.append(item)
                continue
            args = item.args
            ident = args["this"].args
            name = fold(ident["this"], ident.get("quoted") or False)
            kind = args.get("kind")
            if type(kind) is not data_type or name in columns:
                self._column(item)
                continue
            targs = kind.args
            tid = id(targs["this"])
            if tid in SERIALS:
                self._column(item)
                continue
            # ClickHouse types carry nullability: Int32 is NOT NULL, Nullable(Int32) is not.
            nullable_arg = targs.get("nullable")
            nullable = nullable_arg is not False
            constraints = args.get("constraints")
            if constraints:
                only = constraints[0].args.get("kind") if len(constraints) == 1 else None
                if type(only) is not not_null:
                    self._column(item)
                    continue
                nullable = bool(only.args.get("allow_null"))
            ctype = None
            if nullable_arg is None and not targs.get("expressions") and targs.get("kind") is None:
                ctype = known.get(tid)
            ctype = ctype or read_type(kind)
            shape = (name, id(ctype), nullable, len(columns))
            col = shared.get(shape)
            if col is None:
                col = plain_column(name, ctype, nullable, shape[3])
                if len(shared) >= MAX_CACHED:
                    shared.clear()
                shared[shape] = col
            columns[name] = col
        return others

    def _column(self, cdef: exp.ColumnDef) -> None:
        args = cdef.args
        ident = args["this"].args
        name = self.fold(ident["this"], bool(ident.get("quoted")))
        if name in self.columns:
            raise self.error(f"column {name} is declared twice in table {self.name}", cdef)
        kind = args.get("kind")
        if isinstance(kind, exp.DataType):
            ctype = self.types.read(kind)
            serial = id(kind.args["this"]) in SERIALS
        else:
            ctype, serial = UNTYPED, False
        constraints = args.get("constraints")
        if not constraints and not serial:  # the common case, kept cheap
            self.columns[name] = Column(name, ctype, True, None, None, len(self.columns))
            return
        col = _Col(name, ctype)
        if isinstance(kind, exp.DataType) and kind.args.get("nullable") is False:
            col.nullable = False
        if serial:
            # SERIAL is INT NOT NULL DEFAULT nextval('<table>_<column>_seq').
            col.nullable = False
            seq = f"{self.name.rsplit('.', 1)[-1]}_{name}_seq"
            nextval = sqlglot.parse_one(f"nextval('{seq}')", read="postgres")
            col.default = self._sql(nextval) if isinstance(nextval, exp.Expression) else None
        for constraint in constraints or ():
            self._column_constraint(col, constraint.args.get("kind"))
        position = len(self.columns)
        self.columns[name] = Column(
            name, col.type, col.nullable, col.default, col.comment, position
        )

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
            col.comment = comment_text(kind.this)
        elif isinstance(kind, exp.Properties):
            col.comment = self._description(kind.expressions, col.comment)
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            col.nullable = False  # an identity column is NOT NULL (SQL standard, T-SQL)
            col.default = self.write(kind)
        elif isinstance(kind, exp.AutoIncrementColumnConstraint):
            col.default = self.write(kind)
        elif isinstance(kind, exp.ComputedColumnConstraint):
            # A generated column: its expression stands where a default would.
            col.default = self._sql(kind)

    def _description(self, props: Iterable[exp.Expression], current: str | None) -> str | None:
        for prop in props:
            if isinstance(prop, exp.Property) and str(prop.name).lower() == "description":
                return comment_text(prop.args.get("value"))
        return current

    def _names(self, nodes: Iterable[exp.Expression], where: str) -> tuple[str, ...]:
        """The columns a constraint names; one the table lacks is an error (see _known)."""
        names = []
        for node in nodes:
            target = node.this if isinstance(node, exp.Ordered) else node
            name = ident_name(target, self.fold)
            if name not in self.columns:
                raise self.error(f"{where} of table {self.name} names unknown column {name}", node)
            names.append(name)
        return tuple(names)

    def _known(self, nodes: Iterable[exp.Expression], where: str) -> tuple[str, ...] | None:
        """A constraint's columns, or None when it names one the table lacks.

        A dump may carry a constraint on a column dropped since (or a typo): with a `warn`
        callback the constraint is skipped with a warning, as a diff tool reading dumps should.
        """
        if self.warn is None:
            return self._names(nodes, where)
        nodes = list(nodes)
        try:
            return self._names(nodes, where)
        except SchemaParseError as e:
            self.warn(f"{e.message}; the constraint is ignored", nodes[0] if nodes else None)
            return None

    def _set_primary_key(self, names: list[str], node: exp.Expression) -> None:
        if self.primary_key and self.primary_key != names:
            raise self.error(f"table {self.name} declares more than one PRIMARY KEY", node)
        self.primary_key = names

    def _untyped(self, item: exp.Expression) -> None:
        name = ident_name(item, self.fold)
        if self.dialect != "sqlite":
            raise self.error(f"column {name} has no type", item)
        if name in self.columns:  # SQLite allows a column without a type
            raise self.error(f"column {name} is declared twice in table {self.name}", item)
        self.columns[name] = Column(name, UNTYPED, True, None, None, len(self.columns))

    def _constraint(self, item: exp.Expression, origin: exp.Expression) -> None:
        if isinstance(item, exp.LikeProperty):
            raise self.error(f"table {self.name} copies columns with LIKE: declare them", item)
        elif isinstance(item, exp.Constraint):
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
                    cols = self._known(clustered[0].this, "the constraint")
                    if cols is None:
                        continue
                    if isinstance(part, exp.PrimaryKeyColumnConstraint):
                        self._set_primary_key(list(cols), item)
                    else:
                        self.uniques.add(cols)
                else:
                    self._constraint(part, item)
        elif isinstance(item, exp.PrimaryKey):
            key = self._known(item.expressions, "PRIMARY KEY")
            if key is not None:
                self._set_primary_key(list(key), origin)
        elif isinstance(item, exp.UniqueColumnConstraint):
            target = item.this
            if isinstance(target, exp.ClusteredColumnConstraint | exp.NonClusteredColumnConstraint):
                members = list(target.this)  # T-SQL UNIQUE [NON]CLUSTERED ([email] ASC)
            elif isinstance(target, exp.Schema):
                members = target.expressions
            else:
                members = [target]
            unique = self._known(members, "UNIQUE")
            if unique is not None:
                self.uniques.add(unique)
        elif isinstance(item, exp.ForeignKey):
            reference = item.args.get("reference")
            columns = self._known(item.expressions, "FOREIGN KEY")
            if isinstance(reference, exp.Reference) and columns is not None:
                self._foreign_key(columns, reference)
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
            self.comment = comment_text(prop.this)
        elif isinstance(prop, exp.Property):
            self.comment = self._description([prop], self.comment)
