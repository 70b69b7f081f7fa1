"""Dialect gaps found on real DDL: float widths, stray commas, MySQL partitions, INHERITS, ON UPDATE."""

from __future__ import annotations

import logging

import pytest

from service.diff import diff_schemas
from service.errors import SchemaParseError
from service.schema import parse_ddl, render_ddl
from service.schema.model import ColumnType


def type_of(dialect: str, spelling: str) -> ColumnType:
    """The canonical type of one column declared with this spelling."""
    return parse_ddl(f"CREATE TABLE t (c {spelling})", dialect).tables[0].columns[0].type


@pytest.mark.parametrize(
    ("dialect", "spelling", "bits"),
    [
        ("tsql", "REAL", 32),
        ("tsql", "FLOAT", 64),
        ("tsql", "FLOAT(24)", 32),
        ("tsql", "FLOAT(1)", 32),
        ("tsql", "FLOAT(25)", 64),
        ("tsql", "FLOAT(53)", 64),
        ("tsql", "DOUBLE PRECISION", 64),
        ("fabric", "REAL", 32),
        ("mysql", "REAL", 64),
        ("mysql", "FLOAT", 32),
        ("mysql", "DOUBLE", 64),
        ("mysql", "FLOAT(30)", 64),
    ],
)
def test_float_widths_follow_the_dialect(dialect: str, spelling: str, bits: int) -> None:
    """T-SQL REAL is 32 bits and FLOAT 64; MySQL REAL is DOUBLE and FLOAT 32."""
    assert type_of(dialect, spelling).precision == bits


def test_tsql_real_to_float_is_a_widening() -> None:
    """REAL -> FLOAT in T-SQL goes from 32 to 64 bits, so readers keep working."""
    old = parse_ddl("CREATE TABLE t (c REAL)", "tsql")
    new = parse_ddl("CREATE TABLE t (c FLOAT)", "tsql")
    kinds = [c["kind"] for c in diff_schemas(old, new).to_json()["changes"]]
    assert kinds == ["column_type_widened"]


@pytest.mark.parametrize("dialect", ["tsql", "mysql"])
def test_rendered_floats_read_back_as_the_same_width(dialect: str) -> None:
    """Rendering REAL/FLOAT in T-SQL or MySQL and reading it back gives the same schema."""
    schema = parse_ddl("CREATE TABLE t (a REAL, b FLOAT, c FLOAT(10), d FLOAT(53))", dialect)
    assert parse_ddl(render_ddl(schema, dialect), dialect) == schema


@pytest.mark.parametrize(
    "dialect", ["postgres", "mysql", "snowflake", "tsql", "bigquery", "duckdb"]
)
def test_two_commas_in_a_row_are_a_parse_error_with_a_position(dialect: str) -> None:
    """sqlglot skips an empty item between commas; the reader refuses it and says where."""
    with pytest.raises(SchemaParseError, match="two commas") as info:
        parse_ddl("CREATE TABLE x (\n  a INT,, b INT\n)", dialect)
    assert (info.value.line, info.value.column) == (2, 9)
    assert info.value.dialect == dialect


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "snowflake", "tsql", "oracle", "trino"])
def test_a_column_without_a_type_is_an_error_outside_sqlite(dialect: str) -> None:
    """Only SQLite allows `CREATE TABLE x (a INT, b)`."""
    with pytest.raises(SchemaParseError, match="has no type") as info:
        parse_ddl("CREATE TABLE x (a INT, b)", dialect)
    assert (info.value.line, info.value.column) == (1, 24)


def test_sqlite_reads_a_column_without_a_type() -> None:
    """SQLite's typeless column is read as a column of no known type."""
    assert parse_ddl("CREATE TABLE x (a INT, b)", "sqlite").tables[0].column_names == ("a", "b")


@pytest.mark.parametrize(
    "clause",
    [
        "PARTITION BY HASH (id) PARTITIONS 4",
        "PARTITION BY LINEAR KEY (id) PARTITIONS 8",
        "PARTITION BY RANGE (YEAR(d)) (PARTITION p0 VALUES LESS THAN (2020), "
        "PARTITION p1 VALUES LESS THAN MAXVALUE ENGINE = InnoDB)",
        "PARTITION BY RANGE COLUMNS(d) (PARTITION p0 VALUES LESS THAN ('2020-01-01'))",
        "PARTITION BY LIST (id) (PARTITION a VALUES IN (1, 2), PARTITION b VALUES IN (3))",
        "/*!50100 PARTITION BY HASH (id) PARTITIONS 4 */",
    ],
)
def test_mysql_partition_clauses_are_ignored_not_rejected(clause: str) -> None:
    """MySQL partitioning is storage, invisible to readers: the clause is dropped."""
    sql = (
        "CREATE TABLE t (id INT NOT NULL, d DATE NOT NULL) ENGINE=InnoDB "
        f"DEFAULT CHARSET=utf8mb4 {clause};\nCREATE TABLE u (x INT);"
    )
    schema = parse_ddl(sql, "mysql")
    assert [t.name for t in schema.tables] == ["t", "u"]
    assert schema.tables[0].column_names == ("id", "d")
    assert schema.tables[0].partition_by == ()


def test_changing_a_mysql_partition_clause_is_no_change() -> None:
    """Repartitioning a MySQL table changes nothing a reader sees."""
    old = parse_ddl("CREATE TABLE t (id INT) PARTITION BY HASH (id) PARTITIONS 4", "mysql")
    new = parse_ddl("CREATE TABLE t (id INT) PARTITION BY KEY (id) PARTITIONS 8", "mysql")
    assert diff_schemas(old, new).to_json()["changes"] == []


def test_a_window_partition_inside_a_column_is_not_taken_for_a_table_partition() -> None:
    """Only a PARTITION BY outside the column list ends the statement's shape."""
    sql = "CREATE TABLE t (id INT, b INT AS (id + 1)) PARTITION BY HASH (id) PARTITIONS 2"
    assert parse_ddl(sql, "mysql").tables[0].column_names == ("id", "b")


def test_mysql_on_update_is_ignored_in_either_direction() -> None:
    """ON UPDATE CURRENT_TIMESTAMP is write behaviour: adding or dropping it is no change."""
    with_it = parse_ddl(
        "CREATE TABLE t (ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP "
        "ON UPDATE CURRENT_TIMESTAMP)",
        "mysql",
    )
    without = parse_ddl("CREATE TABLE t (ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)", "mysql")
    assert with_it == without
    assert with_it.tables[0].columns[0].default == without.tables[0].columns[0].default


def test_postgres_inherits_reads_only_the_declared_columns() -> None:
    """INHERITS (parent) does not crash; the child's own columns are read (documented)."""
    sql = "CREATE TABLE p (id INT);\nCREATE TABLE c (extra TEXT) INHERITS (p);"
    schema = parse_ddl(sql, "postgres")
    assert schema.table("c") is not None
    assert schema.tables[1].column_names == ("extra",)


def test_sqlglot_fallback_warning_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A statement sqlglot keeps as a raw command is our error, not a sqlglot log line."""
    with caplog.at_level(logging.WARNING), pytest.raises(SchemaParseError, match="unsupported"):
        parse_ddl("CREATE TABLE t (a INT);\nCREATE FOO BAR BAZ;", "postgres")
    assert not [r for r in caplog.records if "Falling back" in r.getMessage()]


def test_a_schema_qualified_user_type_is_not_confused_with_an_unqualified_one() -> None:
    """The type cache keys user-defined types by their whole name (found on pg_dump output)."""
    qualified = parse_ddl("CREATE TABLE t (c public.order_status)", "postgres")
    plain = parse_ddl("CREATE TABLE t (c order_status)", "postgres")
    assert qualified.tables[0].columns[0].type.name == "PUBLIC.ORDER_STATUS"
    assert plain.tables[0].columns[0].type.name == "ORDER_STATUS"
