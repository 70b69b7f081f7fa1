"""Reading sqlglot DataTypes into canonical ColumnTypes with a dialect's rule table."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlglot import exp

from service.schema.model import Column, ColumnType
from service.schema.model import TypeFamily as F
from service.schema.names import sqlglot_dialect
from service.schema.tokens import type_sql
from service.schema.types import OTHER, UNBOUNDED_WORDS, WRAPPERS, Args, Rule, float_bits, table_for

MAX_CACHED = 10_000


def _param(node: exp.Expression) -> str:
    """The text of one type argument: a number, MAX, or a string literal."""
    inner = node.this if isinstance(node, exp.DataTypeParam) else node
    if isinstance(inner, exp.Expression):
        return str(inner.name)
    return str(inner)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


class TypeReader:
    """Converts sqlglot DataTypes of one dialect to canonical ColumnTypes, caching by shape."""

    __slots__ = ("_fold", "_table", "by_key", "dialect", "plain_columns", "rendered")

    def __init__(self, dialect: str, fold: Callable[[str, bool], str]) -> None:
        self.dialect = dialect
        self._fold = fold
        self._table = table_for(dialect)
        self.by_key: dict[object, ColumnType] = {}
        self.rendered: dict[tuple[ColumnType, str], str] = {}  # render_ddl's memo
        # The DDL reader's plain columns (frozen, so shared), keyed by name, the identity of
        # a type of by_key (the column keeps it alive), nullability and position.
        self.plain_columns: dict[tuple[str, int, bool, int], Column] = {}

    def read(self, dt: exp.DataType) -> ColumnType:
        """The canonical type of a parsed DataType, with the dialect's spelling as `sql`."""
        if isinstance(dt.this, str):  # Postgres `oid`: an ObjectIdentifier named by a string
            return self._other(dt)
        args = dt.args
        params = args.get("expressions")
        # Hot path: a type without arguments, or with literal ones (VARCHAR(10)), keyed cheaply
        # by the identity of its sqlglot type (the members are singletons) and the literals.
        key: object
        if args.get("kind") is not None or args.get("nullable") is not None:
            key = self._key(dt)  # user-defined types; ClickHouse Nullable(...) spellings
        elif not params:
            key = id(args["this"])
        elif type(params[0]) is exp.DataTypeParam and (
            len(params) == 1 or (len(params) == 2 and type(params[1]) is exp.DataTypeParam)
        ):
            # VARCHAR(10), DECIMAL(12, 2), VARCHAR(MAX): literal or word arguments
            try:
                key = (id(args["this"]), *[p.args["this"].args["this"] for p in params])
            except (AttributeError, KeyError):
                key = self._key(dt)
        else:  # nested types (ARRAY, STRUCT, MAP), ENUM values
            key = self._key(dt)
        found = self.by_key.get(key)
        if found is None:
            found = self._convert(dt)
            if len(self.by_key) >= MAX_CACHED:
                self.by_key.clear()  # a bound for long-lived readers fed unusual types
            self.by_key[key] = found
        return found

    def _key(self, dt: exp.Expression) -> object:
        if not isinstance(dt, exp.DataType):
            if isinstance(dt, exp.ColumnDef):
                ident = dt.this
                return (ident.name, ident.quoted, self._key(dt.args["kind"]))
            return _param(dt)
        exprs = dt.expressions
        kind = dt.args.get("kind")
        # the whole name: public.order_status and order_status are different types
        head = (dt.this, _kind_sql(kind), dt.args.get("nullable"))
        if not exprs:
            return head
        return (head, tuple(self._key(e) for e in exprs))

    def _convert(self, dt: exp.DataType) -> ColumnType:
        type_name = dt.this.name
        inner = dt.expressions
        if type_name in WRAPPERS and len(inner) == 1 and isinstance(inner[0], exp.DataType):
            return self.read(inner[0])
        rule = self._table.get(type_name, OTHER)
        sql = type_sql(dt, self.dialect, sqlglot_dialect(self.dialect))
        if rule.family is F.OTHER:
            kind = dt.args.get("kind")
            written = _kind_sql(kind, sqlglot_dialect(self.dialect)) or sql
            return ColumnType(name=written.upper(), family=F.OTHER, sql=sql)
        params = [_param(e) for e in dt.expressions] if rule.args is not Args.NESTED else []
        return _apply(rule, params, sql, dt, self)

    def _other(self, node: exp.Expression) -> ColumnType:
        """A type sqlglot reads as something other than a DataType: kept by its spelling."""
        sql = node.sql(sqlglot_dialect(self.dialect))
        return ColumnType(name=sql.upper(), family=F.OTHER, sql=sql)

    def field(self, cdef: exp.ColumnDef) -> tuple[str, ColumnType]:
        """A STRUCT member: its resolved name and type."""
        ident = cdef.this
        kind = cdef.args.get("kind")
        member = self.read(kind) if isinstance(kind, exp.DataType) else ColumnType("", F.OTHER)
        return self._fold(ident.name, bool(ident.args.get("quoted"))), member


def _kind_sql(kind: object, dialect: str | None = None) -> str | None:
    """A user-defined type's name: sqlglot keeps it as an expression, or as a plain string
    for a schema-qualified name (Teradata `SYSUDTLIB.INT`)."""
    if kind is None:
        return None
    if isinstance(kind, exp.Expression):
        return kind.sql(dialect)
    return str(kind)


def _apply(
    rule: Rule, params: list[str], sql: str, dt: exp.DataType, reader: TypeReader
) -> ColumnType:
    name, length, precision, scale = rule.name, rule.length, rule.precision, rule.scale
    values: tuple[str, ...] = ()
    args: tuple[ColumnType, ...] = ()
    fields: tuple[tuple[str, ColumnType], ...] = ()
    first = params[0] if params else None
    if rule.args is Args.LENGTH and first is not None:
        length = _number(first)
        if first.upper() in UNBOUNDED_WORDS or (
            rule.max_length and (length or 0) >= rule.max_length
        ):
            length = None
    elif rule.args is Args.DECIMAL and first is not None:
        precision = _number(first)
        scale = _number(params[1]) if len(params) > 1 else 0
    elif rule.args is Args.FSP and first is not None:
        precision = _number(first)
    elif rule.args is Args.FLOAT_P and first is not None and (p := _number(first)):
        precision = float_bits(p)
        name = "REAL" if precision == 32 else "DOUBLE"
    elif rule.args is Args.ENUM:
        values = tuple(params)
    elif rule.args is Args.NESTED:
        for e in dt.expressions:
            if isinstance(e, exp.ColumnDef):
                fields += (reader.field(e),)
            elif isinstance(e, exp.DataType):
                args += (reader.read(e),)
    if rule.args is Args.LENGTH and rule.max_length and (length or 0) >= rule.max_length:
        length = None
    return ColumnType(
        name=name,
        family=rule.family,
        length=length,
        precision=precision,
        scale=scale,
        bits=rule.bits,
        unsigned=rule.unsigned,
        values=values,
        args=args,
        fields=fields,
        sql=sql,
    )


@cache
def reader_for(dialect: str, fold: Callable[[str, bool], str]) -> TypeReader:
    """The shared TypeReader of a dialect: its cache of converted types outlives one parse."""
    return TypeReader(dialect, fold)
