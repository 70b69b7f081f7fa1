"""render_ddl: a Schema as CREATE TABLE statements of a dialect (to show a stored version).

Reading the output back with `parse_ddl(..., dialect)` gives the same Schema for schemas
read in that dialect. Comments are written the dialect's way (inline COMMENT, BigQuery
OPTIONS, or COMMENT ON statements); T-SQL has no comment syntax in DDL, so none are written.
"""

from __future__ import annotations

import contextlib
import re
from functools import cache, lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from service.schema.canonical import TypeReader
from service.schema.model import Column, ColumnType, Schema, Table, TypeFamily
from service.schema.names import folds, resolve_dialect, sqlglot_dialect
from service.schema.tokens import build_type, type_sql

PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Column "defaults" that are generator clauses, written without DEFAULT.
IDENTITY = ("AUTO_INCREMENT", "AUTOINCREMENT", "IDENTITY", "GENERATED", "AS ")
INLINE_COMMENT = frozenset({"mysql", "snowflake", "spark", "databricks", "hive", "spark2"})
COMMENT_ON = frozenset({"postgres", "redshift", "duckdb", "oracle", "materialize", "risingwave"})
NO_COMMENT_DIALECTS = frozenset({"tsql", "fabric"})
INTEGER_TYPES = {8: "TINYINT", 16: "SMALLINT", 24: "MEDIUMINT", 32: "INT", 64: "BIGINT"}


@cache
def _keywords(dialect: str) -> frozenset[str]:
    tokenizer = Dialect.get_or_raise(sqlglot_dialect(dialect)).tokenizer_class
    return frozenset(k.upper() for k in tokenizer.KEYWORDS)


@lru_cache(maxsize=65_536)
def needs_quotes(name: str, dialect: str, table: bool = False) -> bool:
    """Whether a resolved name must be quoted to be read back as itself in the dialect."""
    fold = folds(dialect)[1 if table else 0]
    plain = PLAIN.fullmatch(name) and fold(name, False) == name
    return not plain or name.upper() in _keywords(dialect)


@lru_cache(maxsize=65_536)
def _quote(name: str, dialect: str, table: bool = False) -> str:
    quoted = needs_quotes(name, dialect, table)
    return exp.to_identifier(name, quoted=quoted).sql(sqlglot_dialect(dialect))


def _table_ref(name: str, dialect: str) -> str:
    return ".".join(_quote(part, dialect, table=True) for part in name.split("."))


def _string(text: str, dialect: str) -> str:
    return exp.Literal.string(text).sql(sqlglot_dialect(dialect))


def _param(value: int | str) -> exp.DataTypeParam:
    literal = exp.Literal.number(value) if isinstance(value, int) else exp.var(value)
    return exp.DataTypeParam(this=literal)


def _synthesize(t: ColumnType, dialect: str) -> exp.DataType | None:
    kind: str | None = None
    params: list[int | str] = []
    family = t.family
    if family is TypeFamily.INTEGER and t.bits in INTEGER_TYPES:
        kind = ("U" if t.unsigned else "") + INTEGER_TYPES[t.bits]
    elif family is TypeFamily.DECIMAL:
        kind = "DECIMAL"
        if t.precision is not None:
            params = [t.precision, t.scale or 0]
    elif family is TypeFamily.FLOAT:
        kind = "FLOAT" if t.precision == 32 else "DOUBLE"
    elif family is TypeFamily.STRING:
        fixed = t.name in ("CHAR", "NCHAR")
        kind = t.name if fixed else ("VARCHAR" if t.length is not None else "TEXT")
        params = [t.length] if t.length is not None else []
    elif family in (TypeFamily.TIMESTAMP, TypeFamily.TIMESTAMP_TZ, TypeFamily.TIME):
        kind = {"TIMESTAMP": "TIMESTAMP", "TIMESTAMPTZ": "TIMESTAMPTZ"}.get(t.name, t.name)
        params = [t.precision] if t.precision is not None else []
    elif family is TypeFamily.ARRAY and t.args:
        inner = _synthesize(t.args[0], dialect)
        if inner is not None:
            return exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[inner], nested=True)
    elif family is not TypeFamily.OTHER:
        kind = t.name
    if kind is None or kind not in exp.DataType.Type.__members__:
        return None
    return exp.DataType(this=exp.DataType.Type[kind], expressions=[_param(p) for p in params])


def render_type(t: ColumnType, dialect: str, reader: TypeReader | None = None) -> str:
    """The dialect's spelling of a canonical type, preferring the spelling it was read from."""
    reader = reader or TypeReader(dialect, folds(dialect)[0])
    key = (t, t.sql)
    found = reader.rendered.get(key)
    if found is None:
        found = reader.rendered[key] = _render_type(t, dialect, reader)
    return found


def _render_type(t: ColumnType, dialect: str, reader: TypeReader) -> str:
    candidates: list[exp.DataType] = []
    if t.sql:
        # A spelling this dialect cannot read (another dialect's, a logical type) is skipped.
        with contextlib.suppress(ParseError, TokenError, ValueError):
            candidates.append(build_type(t.sql, dialect, sqlglot_dialect(dialect)))
    synthesized = _synthesize(t, dialect)
    if synthesized is not None:
        candidates.append(synthesized)
    for dt in candidates:
        if reader.read(dt) == t:
            return type_sql(dt, dialect, sqlglot_dialect(dialect))
    if candidates:
        return type_sql(candidates[-1], dialect, sqlglot_dialect(dialect))
    return t.sql or t.name


def render_ddl(schema: Schema, dialect: str) -> str:
    """CREATE TABLE statements (plus COMMENT ON where the dialect needs them) for a Schema.

    >>> from service.schema.ddl import parse_ddl
    >>> s = parse_ddl("create table t (id int primary key, note text)", "postgres")
    >>> print(render_ddl(s, "postgres"))
    CREATE TABLE t (
      id INT NOT NULL,
      note TEXT,
      PRIMARY KEY (id)
    );
    """
    name = resolve_dialect(dialect)
    reader = TypeReader(name, folds(name)[0])
    return "\n\n".join(_table(t, name, reader) for t in schema.tables)


def _column(c: Column, dialect: str, reader: TypeReader) -> str:
    parts = [_quote(c.name, dialect), render_type(c.type, dialect, reader)]
    if not c.nullable:
        parts.append("NOT NULL")
    if c.default is not None:
        identity = c.default.upper().startswith(IDENTITY)
        parts.append(c.default if identity else f"DEFAULT {c.default}")
    if c.comment is not None and dialect in INLINE_COMMENT:
        parts.append(f"COMMENT {_string(c.comment, dialect)}")
    elif c.comment is not None and dialect == "bigquery":
        parts.append(f"OPTIONS(description={_string(c.comment, dialect)})")
    return " ".join(parts)


def _names(names: tuple[str, ...], dialect: str) -> str:
    return ", ".join(_quote(n, dialect) for n in names)


def _table(t: Table, dialect: str, reader: TypeReader) -> str:
    ref = _table_ref(t.name, dialect)
    lines = [_column(c, dialect, reader) for c in t.columns]
    if t.primary_key:
        lines.append(f"PRIMARY KEY ({_names(t.primary_key, dialect)})")
    lines += [f"UNIQUE ({_names(u, dialect)})" for u in sorted(t.uniques)]
    lines += [f"CHECK ({check})" for check in sorted(t.checks)]
    for fk in sorted(t.foreign_keys, key=lambda f: (f.columns, f.ref_table, f.ref_columns)):
        target = _table_ref(fk.ref_table, dialect)
        if fk.ref_columns:
            target += f" ({_names(fk.ref_columns, dialect)})"
        lines.append(f"FOREIGN KEY ({_names(fk.columns, dialect)}) REFERENCES {target}")
    body = ",\n  ".join(lines)
    statement = f"CREATE TABLE {ref} (\n  {body}\n)" + _properties(t, dialect)
    statements = [statement + ";"]
    if dialect in COMMENT_ON:
        if t.comment is not None:
            statements.append(f"COMMENT ON TABLE {ref} IS {_string(t.comment, dialect)};")
        statements += [
            f"COMMENT ON COLUMN {ref}.{_quote(c.name, dialect)} IS {_string(c.comment, dialect)};"
            for c in t.columns
            if c.comment is not None
        ]
    return "\n".join(statements)


def _keys(keys: tuple[str, ...], t: Table, dialect: str) -> str:
    # A key is a column name or an expression over columns (DATE(ts), RANGE(ts)).
    names = set(t.column_names)
    return ", ".join(_quote(k, dialect) if k in names else k for k in keys)


def _properties(t: Table, dialect: str) -> str:
    out = []
    if t.partition_by:
        keys = _keys(t.partition_by, t, dialect)
        if dialect in ("spark", "databricks", "hive", "spark2"):
            out.append(f"PARTITIONED BY ({keys})")
        else:
            out.append(f"PARTITION BY {keys}")
    if t.cluster_by:
        keys = _keys(t.cluster_by, t, dialect)
        out.append(f"CLUSTER BY {keys}" if dialect == "bigquery" else f"CLUSTER BY ({keys})")
    if t.comment is not None and dialect not in COMMENT_ON | NO_COMMENT_DIALECTS:
        text = _string(t.comment, dialect)
        if dialect == "bigquery":
            out.append(f"OPTIONS(description={text})")
        elif dialect in ("spark", "databricks", "hive", "spark2"):
            out.append(f"COMMENT {text}")
        else:
            out.append(f"COMMENT = {text}" if dialect == "snowflake" else f"COMMENT={text}")
    return "".join(f"\n{p}" for p in out)
