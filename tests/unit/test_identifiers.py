"""The diff and lineage resolve names by one rule: a product's DDL and a query over it meet."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lineage.names import column_name, table_name
from lineage.sql import QueryError, columns_read
from service.errors import SchemaParseError
from service.schema import parse_ddl

DIALECTS = ["postgres", "snowflake", "mysql", "bigquery", "tsql", "duckdb", "oracle", "clickhouse"]
NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(DIALECTS), NAMES, NAMES, NAMES)
def test_a_product_column_and_a_query_naming_it_resolve_to_one_name(
    dialect: str, schema: str, table: str, column: str
) -> None:
    try:
        product = parse_ddl(f"CREATE TABLE {schema}.{table} ({column} INT, k INT)", dialect)
        read = columns_read(
            f"SELECT {column} FROM {schema}.{table}",
            dialect,
            {t.name: [c.name for c in t.columns] for t in product.tables},
        )
    except (SchemaParseError, QueryError):
        assume(False)  # a reserved word as a name: no dialect reads it unquoted
        return
    (found,) = product.tables
    assert found.name == table_name(f"{schema}.{table}", dialect)
    assert found.columns[0].name == column_name(column, dialect)
    assert read == {(found.name, found.columns[0].name)}


PIECES = ["(", ")", "[", "]", "{", "}", "ARRAY<", "STRUCT<", "MAP<", "<", ">", " 1 ", " a ", ","]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.integers(min_value=1, max_value=8))
def test_the_nesting_guards_fast_scan_refuses_exactly_what_the_token_walk_refuses(
    pieces: list[str], limit: int
) -> None:
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import ParseError, TokenError

    from identifiers.guard import _check_nesting_by_token, check_nesting, token_kinds

    try:
        tokens = Dialect.get_or_raise("bigquery").tokenize("SELECT " + "".join(pieces))
    except TokenError:
        assume(False)
    found = []
    for check in (
        lambda: check_nesting(tokens, limit),
        lambda: _check_nesting_by_token(tokens, limit, token_kinds(tokens)),
    ):
        try:
            check()
            found.append("ok")
        except ParseError as error:
            found.append(str(error))
    assert found[0] == found[1]
