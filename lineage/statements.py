"""SQL text as statements (one that does not parse loses none of the others) and what each defines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from identifiers.guard import MAX_NESTING, check_nesting, parse, parse_one
from lineage.names import fold_columns, table_name

__all__ = ["MAX_NESTING", "Statement", "check_nesting", "parse", "parse_one", "statements"]

#: T-SQL's batch separator: a line holding only ``GO`` (a client command, not SQL).
_GO = re.compile(r"^[ \t]*go[ \t]*(?:--[^\n]*)?$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Statement:
    """One parsed statement, or the text of one that does not parse and why."""

    expression: exp.Expr | None
    text: str
    error: SqlglotError | None = None


def statements(sql: str, dialect: str | None) -> list[Statement]:
    """The statements of a SQL text; those that do not parse come back with their error.

    >>> [bool(s.expression) for s in statements("select 1; select (2; select 3", None)]
    [True, False, True]
    """
    if dialect == "tsql":
        sql = _GO.sub(";", sql)
    try:
        return [Statement(s, "") for s in parse(sql, dialect)]
    except SqlglotError as error:
        whole = error
    found = []
    for chunk in _chunks(sql, dialect):
        try:
            parsed = parse(chunk, dialect)
        except SqlglotError as error:
            found.append(Statement(None, chunk, error))
        else:
            found += [Statement(s, chunk) for s in parsed]
    return found or [Statement(None, sql, whole)]


def _chunks(sql: str, dialect: str | None) -> list[str]:
    """The text of each statement, padded with the newlines before it so lines stay true."""
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
        ends = [token.end + 1 for token in tokens if token.token_type.name == "SEMICOLON"]
    except SqlglotError:
        ends = [match.end() for match in re.finditer(";", sql)]
    chunks = []
    start = 0
    for end in [*ends, len(sql)]:
        text = sql[start:end]
        if text.strip(" \t\r\n;"):
            chunks.append("\n" * sql.count("\n", 0, start) + text)
        start = end
    return chunks


def statement_line(statement: exp.Expr) -> int | None:
    """The first line an identifier of the statement sits on, if the parser recorded it."""
    for identifier in statement.find_all(exp.Identifier):
        line = identifier.meta.get("line")
        if line:
            return int(line)
    return None


def target_of(
    statement: exp.Expr, stem: str, dialect: str | None
) -> tuple[str, str, exp.Query | None, list[str]] | None:
    """(name, kind, query, declared output columns) of a statement; None if it defines nothing."""
    declared: list[str] = []
    target = statement.this if isinstance(statement, exp.Create | exp.Insert | exp.Merge) else None
    if isinstance(target, exp.Schema):
        declared = [
            fold_columns(column, dialect).name
            for column in normalize_identifiers(target.copy(), dialect=dialect).expressions
            if isinstance(column, exp.Identifier | exp.ColumnDef)
        ]
        target = target.this
    if isinstance(statement, exp.Create) and isinstance(target, exp.Table):
        query = statement.expression if isinstance(statement.expression, exp.Query) else None
        kind = "view" if str(statement.args.get("kind", "")).upper() == "VIEW" else "table"
        return table_name(target, dialect), kind, query, declared
    if isinstance(statement, exp.Insert) and isinstance(target, exp.Table):
        query = statement.expression if isinstance(statement.expression, exp.Query) else None
        return table_name(target, dialect), "table", query, declared
    if isinstance(statement, exp.Merge) and isinstance(target, exp.Table):
        return table_name(target, dialect), "table", _merge_source(statement.args.get("using")), []
    if isinstance(statement, exp.Query):
        return table_name(stem, dialect), "model", statement, declared
    return None


def _merge_source(using: exp.Expr | None) -> exp.Query | None:
    """What a MERGE reads, as a query: its USING subquery, or every column of its USING table."""
    if isinstance(using, exp.Subquery) and isinstance(using.this, exp.Query):
        return using.this
    if isinstance(using, exp.Table):
        return exp.select("*").from_(using.copy())
    return None


def ddl_columns(statement: exp.Expr, dialect: str | None) -> dict[str, str]:
    """Columns and types a CREATE TABLE (without AS) declares."""
    schema = statement.this if isinstance(statement, exp.Create) else None
    if not isinstance(schema, exp.Schema):
        return {}
    schema = normalize_identifiers(schema.copy(), dialect=dialect)
    return {
        fold_columns(column.this, dialect).name: column.args["kind"].sql(dialect=dialect)
        if column.args.get("kind")
        else ""
        for column in schema.expressions
        if isinstance(column, exp.ColumnDef)
    }


def referenced_tables(query: exp.Expr, dialect: str | None) -> set[str]:
    """Names of the physical tables a query reads (CTE names excluded), as the dialect folds them."""
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    return {
        table_name(table, dialect)
        for table in query.find_all(exp.Table)
        if isinstance(table.this, exp.Identifier) and not (not table.db and table.name in ctes)
    }
