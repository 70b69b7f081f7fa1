"""parse_ddl: read CREATE TABLE statements of any sqlglot dialect into a Schema.

Views are not tables: `CREATE VIEW` statements are skipped (even with a column list), as
are statements that do not declare a table's shape (INSERT, GRANT, SET, USE, DROP, ...)
and Postgres `CREATE TABLE ... PARTITION OF` (part of its parent's shape).
`ALTER TABLE` on a table of the script applies ADD COLUMN, ADD CONSTRAINT and ALTER COLUMN
SET/DROP DEFAULT|NOT NULL (as pg_dump writes keys) and refuses other actions; on any other
table it is skipped. `COMMENT ON` applies to tables of the script. A statement sqlglot
could not parse, or only kept as a raw command, is an error, never a silent drop, except
raw commands that cannot change a table (SET, GRANT, ALTER ... OWNER TO, CREATE TYPE, ...).
pg_dump's `ALTER COLUMN c ADD GENERATED ... AS IDENTITY` and T-SQL's `ADD CONSTRAINT df
DEFAULT x FOR c` set the column's default. Postgres `INHERITS (parent)` is not followed: a
child table has the columns its own statement declares. MySQL `ON UPDATE CURRENT_TIMESTAMP`
(write behaviour) and `PARTITION BY ...` (storage) are ignored, as are storage options of
`tokens.TABLE_OPTIONS` (T-SQL TEXTIMAGE_ON, SQLite WITHOUT ROWID, Redshift column DISTKEY).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field, replace

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from service.errors import SchemaParseError
from service.schema.canonical import TypeReader, reader_for
from service.schema.ddl_table import TableReader, comment_text
from service.schema.model import Schema, Table
from service.schema.names import (
    Fold,
    folds,
    ident_name,
    resolve_dialect,
    sqlglot_dialect,
    table_name,
)
from service.schema.tokens import parse_tokens, unterminated_at

# Statements that say nothing about a table's declared shape; they are skipped.
IGNORED = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Grant,
    exp.Revoke,
    exp.Set,
    exp.Use,
    exp.Drop,
    exp.Query,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Pragma,
    exp.Copy,
    exp.TruncateTable,
    exp.Analyze,
    exp.Show,
    exp.Cache,
    exp.Uncache,
    exp.Refresh,
    exp.Declare,
    exp.LoadData,
    exp.Semicolon,  # an empty statement (a lone `;`, maybe after comments)
)


# Raw commands that cannot change a table's declared shape (pg_dump writes several).
HARMLESS_COMMANDS = frozenset(
    {"SET", "RESET", "GRANT", "REVOKE", "ANALYZE", "VACUUM", "BEGIN", "COMMIT", "START", "SHOW"}
    | {"CALL", "EXEC", "EXECUTE", "DECLARE", "CHECKPOINT", "LOCK", "USE", "GO", "REFRESH", "UNLOCK"}
)
HARMLESS_ALTER = re.compile(
    r"^\s*(SEQUENCE|SCHEMA|DATABASE|ROLE|USER|FUNCTION|PROCEDURE|VIEW|MATERIALIZED|INDEX"
    r"|DEFAULT\s+PRIVILEGES|EXTENSION|WAREHOUSE|SESSION|SYSTEM)\b|\bOWNER\s+TO\b"
    r"|^\s*TABLE\s+\S+\s+(NO)?CHECK\s+CONSTRAINT\b",  # T-SQL: (re)enable a constraint
    re.IGNORECASE,
)


# CREATE statements of objects that are not tables (sqlglot keeps several as raw commands).
HARMLESS_CREATE = re.compile(
    r"^\s*(OR\s+REPLACE\s+)?(TYPE|DOMAIN|SEQUENCE|FUNCTION|PROCEDURE|TRIGGER|EXTENSION|SCHEMA"
    r"|DATABASE|ROLE|USER|LOGIN|(UNIQUE\s+)?(CLUSTERED\s+|NONCLUSTERED\s+)?INDEX|STATISTICS|RULE"
    r"|POLICY|PUBLICATION|SUBSCRIPTION|AGGREGATE|OPERATOR|COLLATION|CAST|TEXT\s+SEARCH|EVENT"
    r"|SYNONYM|PACKAGE|STAGE|FILE\s+FORMAT|PIPE|STREAM|TASK|WAREHOUSE|MACRO|SECRET|TABLESPACE)\b",
    re.IGNORECASE,
)
DEFAULT_FOR = re.compile(
    r"^\s*TABLE\s+(?P<table>.+?)\s+(WITH\s+(NO)?CHECK\s+)?ADD\s+CONSTRAINT\s+\S+\s+"
    r"DEFAULT\s+(?P<value>.+?)\s+FOR\s+(?P<column>\S+)\s*$",
    re.IGNORECASE | re.DOTALL,
)
ADD_IDENTITY = re.compile(
    r"^\s*TABLE\s+(ONLY\s+)?(?P<table>\S+)\s+ALTER\s+(COLUMN\s+)?(?P<column>\S+)\s+ADD\s+"
    r"GENERATED\s+(?P<how>ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY\s*(?P<options>\(.*\))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
BATCH_SEPARATED = frozenset({"tsql", "fabric"})
GO = re.compile(r"^[ \t]*GO(?:[ \t]+\d+)?[ \t]*;?[ \t]*$", re.IGNORECASE | re.MULTILINE)


def _position(sql: str, offset: int) -> tuple[int, int]:
    line = sql.count("\n", 0, offset) + 1
    return line, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def _snippet(sql: str, line: int) -> str:
    lines = sql.splitlines()
    return lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""


@dataclass
class _Script:
    """The state of one parse: tables in order and where each came from."""

    sql: str
    dialect: str
    source: str | None
    tables: dict[str, Table] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str, node: exp.Expression | None = None) -> None:
        """Note something read past (`line N: ...`), to be reported beside the schema."""
        where = self.error(message, node).line
        self.warnings.append(f"line {where}: {message}" if where else message)

    def error(self, message: str, node: exp.Expression | None = None) -> SchemaParseError:
        """A SchemaParseError located at a node (its first identifier with a position)."""
        line = col = None
        if node is not None:
            for ident in node.find_all(exp.Identifier):
                if "line" in ident.meta:
                    line, col = ident.meta["line"], ident.meta["col"]
                    break
        snippet = _snippet(self.sql, line) if line else None
        return SchemaParseError(
            message,
            dialect=self.dialect,
            line=line,
            column=col,
            snippet=snippet,
            source=self.source,
        )


def parse_ddl(
    sql: str,
    dialect: str | None = None,
    *,
    source: str | None = None,
    max_bytes: int = 1_000_000,
) -> Schema:
    """Read the CREATE TABLE statements of a DDL script into a Schema.

    >>> s = parse_ddl("CREATE TABLE shop.Orders (id INT PRIMARY KEY, note VARCHAR(20))", "snowflake")
    >>> t = s.tables[0]
    >>> t.name, t.column_names, t.primary_key
    ('SHOP.ORDERS', ('ID', 'NOTE'), ('ID',))
    >>> t.columns[0].type.name, t.columns[0].type.precision, t.columns[0].nullable
    ('DECIMAL', 38, False)
    >>> parse_ddl("SELECT 1", "postgres")
    Traceback (most recent call last):
    ...
    service.errors.SchemaParseError: no CREATE TABLE statement found [dialect postgres]
    """
    name = resolve_dialect(dialect)
    if len(sql) > max_bytes or len(sql.encode("utf-8", "replace")) > max_bytes:
        raise SchemaParseError(
            f"input of {len(sql.encode('utf-8', 'replace')):,} bytes is larger than the "
            f"{max_bytes:,} bytes allowed",
            dialect=name,
            source=source,
        )
    if not sql.strip():
        raise SchemaParseError("empty input: no SQL to read", dialect=name, source=source)
    text = GO.sub(";", sql) if name in BATCH_SEPARATED else sql  # sqlcmd's GO is not T-SQL
    return read_statements(_parse(text, name, source), name, sql=sql, source=source)


def read_statements(
    statements: list[exp.Expression], dialect: str, *, sql: str = "", source: str | None = None
) -> Schema:
    """The Schema declared by statements sqlglot already parsed (`sql` locates errors).

    The statements' trees are consumed: identifiers in defaults and checks are rewritten.
    """
    name = resolve_dialect(dialect)
    script = _Script(sql, name, source)
    comments: list[exp.Comment] = []
    column_fold, table_fold = folds(name)
    types = reader_for(name, column_fold)
    for statement in statements:
        if isinstance(statement, exp.Create):
            _create(script, statement, types)
        elif isinstance(statement, exp.Alter):
            _alter(script, statement, types)
        elif isinstance(statement, exp.Comment):
            comments.append(statement)
        elif isinstance(statement, exp.Command):
            default_for = _tsql_default_for(statement, name)
            if default_for is not None:
                _alter(script, default_for, types)
            elif not _add_identity(script, statement) and not _harmless(statement):
                raise _unsupported(script, statement)
        elif not isinstance(statement, IGNORED):
            raise script.error(
                f"not a SQL statement: {statement.sql(sqlglot_dialect(name))[:80]!r}", statement
            )
    if not script.tables:
        raise SchemaParseError("no CREATE TABLE statement found", dialect=name, source=source)
    for comment in comments:
        _apply_comment(script.tables, comment, column_fold, table_fold)
    return Schema(
        dialect=name, tables=tuple(script.tables.values()), warnings=tuple(script.warnings)
    )


def _parse(sql: str, dialect: str, source: str | None) -> list[exp.Expression]:
    try:
        parsed = parse_tokens(sql, dialect, sqlglot_dialect(dialect), source)
    except ParseError as e:
        first = e.errors[0] if e.errors else {}
        line, col = first.get("line"), first.get("col")
        description = first.get("description") or str(e).splitlines()[0]
        highlight = str(first.get("highlight") or "")
        if isinstance(col, int) and highlight and "\n" not in highlight:
            col = max(col - len(highlight) + 1, 1)  # sqlglot points at the token's end
        raise SchemaParseError(
            f"cannot parse SQL: {description}",
            dialect=dialect,
            line=line,
            column=col,
            snippet=_snippet(sql, line) if line else None,
            source=source,
        ) from e
    except TokenError as e:
        opener = unterminated_at(sql, dialect)
        if opener is not None:
            line, col = _position(sql, opener)
            raise SchemaParseError(
                "cannot read SQL: unterminated string, quoted name or comment: "
                f"the {_opener(sql, opener)} here is never closed",
                dialect=dialect,
                line=line,
                column=col,
                snippet=_snippet(sql, line),
                source=source,
            ) from e
        # The tokenizer reports a window of +-50 characters around where it stopped.
        start, end = getattr(e, "start", None), getattr(e, "end", None)
        line = col = None
        if isinstance(start, int) and isinstance(end, int):
            line, col = _position(sql, start + 50 if start > 0 else max(end - 50, 0))
        raise SchemaParseError(
            "cannot read SQL: a stray character or an unterminated string, name or comment",
            dialect=dialect,
            line=line,
            column=col,
            snippet=_snippet(sql, line) if line else " ".join(str(e).split())[:200],
            source=source,
        ) from e
    return [s for s in parsed if isinstance(s, exp.Expression)]


def _opener(sql: str, offset: int) -> str:
    return "/*" if sql.startswith("/*", offset) else sql[offset]


def _harmless(statement: exp.Command) -> bool:
    keyword = (str(statement.this).upper().split() or [""])[0]
    rest = str(statement.expression or "")
    if keyword == "ALTER":
        return bool(HARMLESS_ALTER.search(rest))
    if keyword == "CREATE":
        return bool(HARMLESS_CREATE.search(rest))
    return keyword in HARMLESS_COMMANDS


def _add_identity(script: _Script, statement: exp.Command) -> bool:
    """pg_dump's `ALTER TABLE t ALTER COLUMN c ADD GENERATED ... AS IDENTITY (...)`, applied
    as if the column had been declared so (sequence name aside); False if it is not one."""
    found = ADD_IDENTITY.search(str(statement.expression or ""))
    if found is None or str(statement.this).upper() != "ALTER":
        return False
    table, column, how, options = found.group("table", "column", "how", "options")
    # sqlglot reads neither SEQUENCE NAME, CACHE nor NO MINVALUE/MAXVALUE/CYCLE (defaults)
    options = re.sub(
        r"\bSEQUENCE\s+NAME\s+\S+|\bNO\s+(MINVALUE|MAXVALUE|CYCLE)\b|\bCACHE\s+\d+",
        "",
        options or "",
        flags=re.IGNORECASE,
    )
    sql = f"CREATE TABLE {table} ({column} INT GENERATED {how} AS IDENTITY {options})"
    with contextlib.suppress(ParseError, TokenError, SchemaParseError):
        parsed = sqlglot.parse(sql, read=sqlglot_dialect(script.dialect))
        statements = [p for p in parsed if isinstance(p, exp.Expression)]
        declared = read_statements(statements, script.dialect)
        source = declared.tables[0]
        target = script.tables.get(source.name)
        new = source.columns[0]
        if target is not None and target.column(new.name) is not None:
            script.tables[source.name] = replace(
                target,
                columns=tuple(
                    replace(c, nullable=False, default=new.default) if c.name == new.name else c
                    for c in target.columns
                ),
            )
            return True
    return False


def _tsql_default_for(statement: exp.Command, dialect: str) -> exp.Alter | None:
    """T-SQL `ALTER TABLE t ADD CONSTRAINT df DEFAULT (x) FOR c`, read as SET DEFAULT."""
    if dialect not in BATCH_SEPARATED or str(statement.this).upper() != "ALTER":
        return None
    found = DEFAULT_FOR.search(str(statement.expression or ""))
    if found is None:
        return None
    table, value, column = found.group("table", "value", "column")
    sql = f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {value}"
    with contextlib.suppress(ParseError, TokenError):
        alter = sqlglot.parse_one(sql, read=sqlglot_dialect(dialect))
        return alter if isinstance(alter, exp.Alter) else None
    return None


def _unsupported(script: _Script, statement: exp.Command) -> SchemaParseError:
    keyword = str(statement.this)
    rest = " ".join(str(statement.expression or "").split())
    words = rest.split()
    line = col = None
    # sqlglot keeps no position for a raw command: find its text in the script.
    pattern = r"\s+".join(re.escape(w) for w in [keyword, *words[:3]])
    found = re.search(pattern, script.sql, re.IGNORECASE)
    if found:
        line, col = _position(script.sql, found.start())
    return SchemaParseError(
        f"unsupported syntax: sqlglot could not parse this {keyword.upper()} statement",
        dialect=script.dialect,
        line=line,
        column=col,
        snippet=f"{keyword} {rest}"[:200],
        source=script.source,
    )


def _create(script: _Script, statement: exp.Create, types: TypeReader) -> None:
    kind = str(statement.args.get("kind") or "").upper()
    if kind != "TABLE":
        return  # views, indexes, schemas, functions ... declare no table shape
    target = statement.this
    properties = statement.args.get("properties")
    if properties is not None and properties.find(exp.PartitionedOfProperty):
        return  # a Postgres partition is part of its parent table's shape
    if not isinstance(target, exp.Schema):
        what = "AS SELECT" if statement.expression is not None else "without a column list"
        raise script.error(f"CREATE TABLE {what} declares no columns to read", statement)
    table = TableReader(script.dialect, types, script.error, script.warn).read(statement)
    if table.name in script.tables and not statement.args.get("replace"):
        raise script.error(
            f"table {table.name} is created twice (only CREATE OR REPLACE may redefine it)",
            target.this,
        )
    script.tables.pop(table.name, None)
    script.tables[table.name] = table


def _alter(script: _Script, statement: exp.Alter, types: TypeReader) -> None:
    target = statement.this
    if str(statement.args.get("kind") or "").upper() != "TABLE" or not isinstance(
        target, exp.Table
    ):
        return
    name = table_name(target, folds(script.dialect)[1])
    table = script.tables.get(name)
    if table is None:
        return  # a table this script does not declare: nothing to apply it to
    reader = TableReader.resume(table, script.dialect, types, script.error, script.warn)
    script.tables[name] = reader.alter(statement)


def _apply_comment(
    tables: dict[str, Table], comment: exp.Comment, column_fold: Fold, table_fold: Fold
) -> None:
    """Apply a `COMMENT ON TABLE/COLUMN ... IS '...'` to a table of the script, if declared."""
    kind = str(comment.args.get("kind") or "").upper()
    target = comment.this
    text = comment_text(comment.expression)
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
