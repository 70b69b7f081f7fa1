"""Canonical type tables: synonyms of a dialect compare equal, and each type's fields are filled."""

from __future__ import annotations

from typing import Any

import pytest

from service.schema import ColumnType, TypeFamily, parse_ddl
from service.schema.types import DIALECTS, GENERIC, table_for

F = TypeFamily


def type_of(dialect: str, spelling: str) -> ColumnType:
    """The canonical type of one column declared with this spelling."""
    return parse_ddl(f"CREATE TABLE t (c {spelling})", dialect).tables[0].columns[0].type


SYNONYMS = [
    ("postgres", ["INT", "INTEGER", "INT4", "int", "SERIAL"]),
    ("postgres", ["BIGINT", "INT8", "BIGSERIAL"]),
    ("postgres", ["SMALLINT", "INT2"]),
    ("postgres", ["VARCHAR", "TEXT", "CHARACTER VARYING"]),
    ("postgres", ["VARCHAR(20)", "CHARACTER VARYING(20)", "varchar( 20 )"]),
    ("postgres", ["CHAR", "CHAR(1)", "CHARACTER"]),
    ("postgres", ["NUMERIC(10,2)", "DECIMAL(10, 2)"]),
    ("postgres", ["NUMERIC(10)", "NUMERIC(10,0)"]),
    ("postgres", ["NUMERIC", "DECIMAL"]),
    ("postgres", ["TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ(6)"]),
    ("postgres", ["TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP(6)"]),
    ("postgres", ["REAL", "FLOAT4", "FLOAT(24)", "FLOAT(1)"]),
    ("postgres", ["DOUBLE PRECISION", "FLOAT8", "FLOAT", "FLOAT(53)", "FLOAT(25)"]),
    ("postgres", ["BOOLEAN", "BOOL"]),
    ("postgres", ["JSONB", "jsonb"]),
    ("snowflake", ["INT", "INTEGER", "NUMBER", "NUMBER(38,0)", "DECIMAL(38,0)", "NUMERIC"]),
    ("snowflake", ["BIGINT", "SMALLINT", "TINYINT", "BYTEINT", "DECIMAL", "NUMBER(38)"]),
    ("snowflake", ["VARCHAR", "STRING", "TEXT", "VARCHAR(16777216)", "VARCHAR(134217728)"]),
    ("snowflake", ["FLOAT", "DOUBLE", "REAL", "FLOAT8", "DOUBLE PRECISION"]),
    ("snowflake", ["TIMESTAMP", "TIMESTAMP_NTZ", "TIMESTAMP_NTZ(9)", "DATETIME"]),
    ("snowflake", ["TIMESTAMP_LTZ", "TIMESTAMP_LTZ(9)"]),
    ("snowflake", ["TIMESTAMP_TZ", "TIMESTAMP_TZ(9)"]),
    ("bigquery", ["INT64", "INTEGER", "INT", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"]),
    ("bigquery", ["STRING", "string"]),
    ("bigquery", ["NUMERIC", "DECIMAL", "NUMERIC(38, 9)"]),
    ("bigquery", ["BIGNUMERIC", "BIGDECIMAL", "BIGNUMERIC(76, 38)"]),
    ("bigquery", ["FLOAT64", "FLOAT64"]),
    ("bigquery", ["BOOL", "BOOLEAN"]),
    ("duckdb", ["VARCHAR", "TEXT", "STRING", "VARCHAR(10)", "CHAR(3)"]),
    ("duckdb", ["INT", "INTEGER", "INT4", "SIGNED"]),
    ("duckdb", ["DECIMAL", "DECIMAL(18,3)", "NUMERIC"]),
    ("duckdb", ["REAL", "FLOAT4", "FLOAT"]),
    ("duckdb", ["DOUBLE", "FLOAT8"]),
    ("duckdb", ["TIMESTAMP", "DATETIME"]),
    ("spark", ["STRING", "string"]),
    ("spark", ["INT", "INTEGER"]),
    ("spark", ["BIGINT", "LONG"]),
    ("spark", ["SMALLINT", "SHORT"]),
    ("spark", ["TINYINT", "BYTE"]),
    ("spark", ["DECIMAL", "DECIMAL(10,0)", "NUMERIC", "DEC"]),
    ("spark", ["FLOAT", "REAL"]),
    ("spark", ["TIMESTAMP", "TIMESTAMP_LTZ"]),
    ("databricks", ["STRING", "string"]),
    ("databricks", ["DECIMAL", "DECIMAL(10, 0)"]),
    ("databricks", ["TIMESTAMP_NTZ", "timestamp_ntz"]),
    ("tsql", ["DATETIME2", "DATETIME2(7)"]),
    ("tsql", ["NVARCHAR", "NVARCHAR(1)"]),
    ("tsql", ["VARCHAR", "VARCHAR(1)"]),
    ("tsql", ["VARCHAR(MAX)", "TEXT"]),
    ("tsql", ["DECIMAL", "DECIMAL(18,0)", "NUMERIC(18, 0)", "NUMERIC"]),
    ("tsql", ["FLOAT", "FLOAT(53)", "FLOAT(25)"]),
    ("tsql", ["DATETIMEOFFSET", "DATETIMEOFFSET(7)"]),
    ("tsql", ["TIME", "TIME(7)"]),
    ("tsql", ["INT", "INTEGER"]),
    ("tsql", ["MONEY", "DECIMAL(19,4)"]),
    ("mysql", ["INT", "INT(11)", "INTEGER"]),
    ("mysql", ["TINYINT UNSIGNED", "TINYINT(3) UNSIGNED"]),
    ("mysql", ["INT UNSIGNED", "INT(10) UNSIGNED", "INTEGER UNSIGNED"]),
    ("mysql", ["BOOL", "BOOLEAN", "TINYINT(1)", "TINYINT"]),
    ("mysql", ["DECIMAL", "DECIMAL(10,0)", "NUMERIC", "DECIMAL(10)"]),
    ("mysql", ["DATETIME", "DATETIME(0)"]),
    ("mysql", ["DOUBLE", "FLOAT(30)", "DOUBLE PRECISION"]),
    ("mysql", ["TEXT", "VARCHAR(65535)"]),
    ("redshift", ["VARCHAR", "VARCHAR(256)", "CHARACTER VARYING", "TEXT", "NVARCHAR"]),
    ("redshift", ["VARCHAR(MAX)", "VARCHAR(65535)"]),
    ("redshift", ["INT", "INTEGER", "INT4"]),
    ("redshift", ["DECIMAL", "DECIMAL(18,0)", "NUMERIC"]),
    ("redshift", ["FLOAT", "FLOAT8", "DOUBLE PRECISION"]),
    ("redshift", ["REAL", "FLOAT4"]),
    ("redshift", ["TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"]),
]


@pytest.mark.parametrize(
    ("dialect", "spellings"), SYNONYMS, ids=[f"{d}:{s[0]}" for d, s in SYNONYMS]
)
def test_synonyms_of_a_dialect_read_as_one_canonical_type(
    dialect: str, spellings: list[str]
) -> None:
    types = [type_of(dialect, s) for s in spellings]
    assert all(t == types[0] for t in types), list(zip(spellings, types, strict=True))


DIFFERENT = [
    ("postgres", "VARCHAR(10)", "VARCHAR"),
    ("postgres", "INT", "BIGINT"),
    ("postgres", "TIMESTAMP", "TIMESTAMPTZ"),
    ("postgres", "REAL", "DOUBLE PRECISION"),
    ("postgres", "NUMERIC", "NUMERIC(38,0)"),
    ("postgres", "TIMESTAMP(3)", "TIMESTAMP"),
    ("snowflake", "TIMESTAMP_NTZ", "TIMESTAMP_TZ"),
    ("snowflake", "TIMESTAMP_LTZ", "TIMESTAMP_TZ"),
    ("snowflake", "NUMBER(10,0)", "NUMBER"),
    ("bigquery", "TIMESTAMP", "DATETIME"),
    ("mysql", "INT", "INT UNSIGNED"),
    ("mysql", "TEXT", "MEDIUMTEXT"),
    ("tsql", "VARCHAR(10)", "NVARCHAR(10)"),
    ("tsql", "DATETIME", "DATETIME2"),
    ("spark", "TIMESTAMP", "TIMESTAMP_NTZ"),
    ("redshift", "VARCHAR", "VARCHAR(MAX)"),
]


@pytest.mark.parametrize(("dialect", "a", "b"), DIFFERENT)
def test_types_that_hold_different_values_do_not_compare_equal(
    dialect: str, a: str, b: str
) -> None:
    assert type_of(dialect, a) != type_of(dialect, b)


FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    ("postgres", "NUMERIC", {"family": F.DECIMAL, "precision": None, "scale": None}),
    ("postgres", "NUMERIC(12,2)", {"family": F.DECIMAL, "precision": 12, "scale": 2}),
    ("postgres", "TEXT", {"family": F.STRING, "name": "VARCHAR", "length": None}),
    ("postgres", "CHAR(3)", {"family": F.STRING, "name": "CHAR", "length": 3}),
    ("postgres", "TIMESTAMP", {"family": F.TIMESTAMP, "precision": 6}),
    ("postgres", "TIMESTAMPTZ(3)", {"family": F.TIMESTAMP_TZ, "precision": 3}),
    ("postgres", "FLOAT(10)", {"family": F.FLOAT, "name": "REAL", "precision": 32}),
    ("postgres", "DOUBLE PRECISION", {"family": F.FLOAT, "name": "DOUBLE", "precision": 64}),
    ("postgres", "SMALLINT", {"family": F.INTEGER, "bits": 16, "unsigned": False}),
    ("postgres", "UUID", {"family": F.UUID}),
    ("postgres", "JSONB", {"family": F.JSON}),
    ("postgres", "BYTEA", {"family": F.BINARY}),
    ("postgres", "DATE", {"family": F.DATE}),
    ("postgres", "INTERVAL", {"family": F.INTERVAL}),
    ("postgres", "citext", {"family": F.OTHER, "name": "CITEXT"}),
    ("postgres", "shop.money_amount", {"family": F.OTHER}),
    ("postgres", "GEOMETRY", {"family": F.GEO}),
    ("snowflake", "NUMBER", {"family": F.DECIMAL, "precision": 38, "scale": 0}),
    ("snowflake", "NUMBER(10)", {"family": F.DECIMAL, "precision": 10, "scale": 0}),
    ("snowflake", "TIMESTAMP_NTZ", {"family": F.TIMESTAMP, "precision": 9}),
    ("snowflake", "TIMESTAMP_NTZ(3)", {"family": F.TIMESTAMP, "precision": 3}),
    ("snowflake", "TIMESTAMP_LTZ", {"family": F.TIMESTAMP_TZ, "precision": 9}),
    ("snowflake", "TIMESTAMP_TZ", {"family": F.TIMESTAMP_TZ, "precision": 9}),
    ("snowflake", "VARCHAR", {"family": F.STRING, "length": None}),
    ("snowflake", "FLOAT", {"family": F.FLOAT, "precision": 64}),
    ("snowflake", "VARIANT", {"family": F.JSON}),
    ("snowflake", "GEOGRAPHY", {"family": F.GEO}),
    ("bigquery", "TIMESTAMP", {"family": F.TIMESTAMP_TZ, "precision": 6}),
    ("bigquery", "DATETIME", {"family": F.TIMESTAMP, "precision": 6}),
    ("bigquery", "INT64", {"family": F.INTEGER, "bits": 64}),
    ("bigquery", "NUMERIC", {"family": F.DECIMAL, "precision": 38, "scale": 9}),
    ("bigquery", "STRING(10)", {"family": F.STRING, "length": 10}),
    ("bigquery", "BYTES", {"family": F.BINARY}),
    ("duckdb", "HUGEINT", {"family": F.INTEGER, "bits": 128}),
    ("duckdb", "UBIGINT", {"family": F.INTEGER, "bits": 64, "unsigned": True}),
    ("duckdb", "TIMESTAMP_MS", {"family": F.TIMESTAMP, "precision": 3}),
    ("duckdb", "TIMESTAMPTZ", {"family": F.TIMESTAMP_TZ, "precision": 6}),
    ("spark", "TIMESTAMP", {"family": F.TIMESTAMP_TZ}),
    ("spark", "TIMESTAMP_NTZ", {"family": F.TIMESTAMP}),
    ("spark", "VARCHAR(10)", {"family": F.STRING, "length": 10}),
    ("tsql", "NVARCHAR(MAX)", {"family": F.STRING, "name": "NVARCHAR", "length": None}),
    ("tsql", "NVARCHAR(50)", {"family": F.STRING, "name": "NVARCHAR", "length": 50}),
    ("tsql", "DATETIME2", {"family": F.TIMESTAMP, "precision": 7}),
    ("tsql", "DATETIME", {"family": F.TIMESTAMP, "precision": 3}),
    ("tsql", "DATETIMEOFFSET", {"family": F.TIMESTAMP_TZ, "precision": 7}),
    ("tsql", "BIT", {"family": F.BOOLEAN}),
    ("tsql", "TINYINT", {"family": F.INTEGER, "bits": 8, "unsigned": True}),
    ("tsql", "UNIQUEIDENTIFIER", {"family": F.UUID}),
    ("tsql", "FLOAT(24)", {"family": F.FLOAT, "precision": 32}),
    ("mysql", "TINYINT UNSIGNED", {"family": F.INTEGER, "bits": 8, "unsigned": True}),
    ("mysql", "BIGINT UNSIGNED", {"family": F.INTEGER, "bits": 64, "unsigned": True}),
    ("mysql", "MEDIUMTEXT", {"family": F.STRING, "length": 16_777_215}),
    ("mysql", "DATETIME(3)", {"family": F.TIMESTAMP, "precision": 3}),
    ("mysql", "TIMESTAMP", {"family": F.TIMESTAMP_TZ, "precision": 0}),
    ("mysql", "FLOAT", {"family": F.FLOAT, "precision": 32}),
    ("mysql", "YEAR", {"family": F.INTEGER}),
    ("redshift", "VARCHAR", {"family": F.STRING, "length": 256}),
    ("redshift", "CHAR", {"family": F.STRING, "length": 1}),
    ("redshift", "SUPER", {"family": F.JSON}),
    ("clickhouse", "UInt32", {"family": F.INTEGER, "bits": 32, "unsigned": True}),
    ("clickhouse", "Decimal(10, 2)", {"family": F.DECIMAL, "precision": 10, "scale": 2}),
]


@pytest.mark.parametrize(("dialect", "spelling", "expected"), FIELDS)
def test_each_type_fills_family_and_parameters_with_dialect_defaults(
    dialect: str, spelling: str, expected: dict[str, Any]
) -> None:
    t = type_of(dialect, spelling)
    assert {k: getattr(t, k) for k in expected} == expected


def test_enum_values_are_kept_in_declared_order() -> None:
    t = type_of("mysql", "ENUM('new', 'paid', 'shipped')")
    assert (t.family, t.values) == (F.ENUM, ("new", "paid", "shipped"))


def test_array_struct_and_map_read_their_element_types_recursively() -> None:
    t = type_of("bigquery", "STRUCT<Id INT64, tags ARRAY<STRING>, at TIMESTAMP>")
    assert t.family is F.STRUCT
    assert [name for name, _ in t.fields] == ["id", "tags", "at"]
    tags = dict(t.fields)["tags"]
    assert (tags.family, tags.args[0].family) == (F.ARRAY, F.STRING)
    assert dict(t.fields)["at"].family is F.TIMESTAMP_TZ
    m = type_of("spark", "MAP<STRING, ARRAY<BIGINT>>")
    assert m.family is F.MAP
    assert [a.family for a in m.args] == [F.STRING, F.ARRAY]
    assert m.args[1].args[0].bits == 64
    assert type_of("postgres", "INT[]").args == (type_of("postgres", "INTEGER"),)


def test_element_types_follow_the_dialects_synonyms() -> None:
    assert type_of("bigquery", "ARRAY<INT64>") == type_of("bigquery", "ARRAY<INTEGER>")
    assert type_of("spark", "ARRAY<STRING>") != type_of("spark", "ARRAY<INT>")


def test_the_display_spelling_is_the_dialects_and_takes_no_part_in_equality() -> None:
    a, b = type_of("postgres", "int4"), type_of("postgres", "integer")
    assert a == b
    assert str(type_of("bigquery", "INTEGER")) == "INT64"
    assert str(type_of("tsql", "NVARCHAR(20)")) == "NVARCHAR(20)"


def test_a_user_defined_type_keeps_its_name_as_written() -> None:
    t = type_of("postgres", "order_status")
    assert (t.family, t.name) == (F.OTHER, "ORDER_STATUS")


def test_every_dialect_table_names_only_types_sqlglot_knows() -> None:
    import sqlglot.expressions as exp

    known = set(exp.DataType.Type.__members__)
    for table in (GENERIC, *DIALECTS.values()):
        assert set(table) <= known


@pytest.mark.parametrize(
    ("dialect", "parent", "type_name"),
    [
        ("databricks", "spark", "DECIMAL"),
        ("redshift", "postgres", "TIMESTAMP"),
        ("fabric", "tsql", "BIT"),
    ],
)
def test_a_dialect_inherits_its_parents_rules(dialect: str, parent: str, type_name: str) -> None:
    assert table_for(dialect)[type_name] == table_for(parent)[type_name] != GENERIC[type_name]


@pytest.mark.parametrize(
    ("dialect", "a", "b"),
    [
        ("duckdb", "STRUCT(a INT)", "STRUCT(a BIGINT)"),
        ("bigquery", "STRUCT<zip INT64>", "STRUCT<zip STRING>"),
        ("bigquery", "ARRAY<INT64>", "ARRAY<STRING>"),
        ("spark", "MAP<STRING, INT>", "MAP<STRING, BIGINT>"),
        ("mysql", "ENUM('a', 'b')", "ENUM('a', 'c')"),
        ("postgres", "VARCHAR(10)", "VARCHAR(11)"),
    ],
)
def test_nested_and_parameterised_types_never_share_a_cached_reading(
    dialect: str, a: str, b: str
) -> None:
    first, second, again = type_of(dialect, a), type_of(dialect, b), type_of(dialect, a)
    assert first != second
    assert first == again


@pytest.mark.parametrize(
    ("dialect", "written", "shown"),
    [
        ("snowflake", "NUMBER(10,2)", "NUMBER(10,2)"),
        ("snowflake", "DECIMAL(10, 2)", "NUMBER(10,2)"),
        ("snowflake", "NUMBER", "NUMBER(38,0)"),
        ("snowflake", "TIMESTAMP_NTZ", "TIMESTAMP_NTZ"),
        ("snowflake", "TIMESTAMP_LTZ(3)", "TIMESTAMP_LTZ(3)"),
        ("snowflake", "TIMESTAMP_TZ", "TIMESTAMP_TZ"),
        ("postgres", "numeric(12, 2)", "NUMERIC(12,2)"),
        ("postgres", "decimal", "NUMERIC"),
        ("tsql", "DECIMAL(18, 4)", "DECIMAL(18,4)"),
        ("bigquery", "NUMERIC(38, 9)", "NUMERIC(38,9)"),
    ],
)
def test_types_are_shown_as_the_dialect_spells_them(dialect: str, written: str, shown: str) -> None:
    from service.schema import parse_ddl, render_ddl

    schema = parse_ddl(f"CREATE TABLE t (c {written})", dialect)
    assert str(schema.tables[0].columns[0].type) == shown
    assert f" {shown}\n" in render_ddl(schema, dialect)


def test_a_snowflake_diff_shows_snowflake_types_before_and_after() -> None:
    from service.diff import diff_schemas
    from service.schema import parse_ddl

    old = parse_ddl("CREATE TABLE t (a NUMBER(10,2), b TIMESTAMP_NTZ)", "snowflake")
    new = parse_ddl("CREATE TABLE t (a NUMBER(10,4), b TIMESTAMP_TZ)", "snowflake")
    shown = [(c.before, c.after) for c in diff_schemas(old, new).changes]
    assert shown == [("NUMBER(10,2)", "NUMBER(10,4)"), ("TIMESTAMP_NTZ", "TIMESTAMP_TZ")]
