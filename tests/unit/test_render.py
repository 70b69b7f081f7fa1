"""render_ddl: a Schema written as a dialect's DDL reads back as the same Schema."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.schema import parse_contract, parse_ddl, render_ddl, render_type
from service.schema.model import ColumnType, TypeFamily

TYPES = {
    "postgres": [
        "INT",
        "BIGINT",
        "SMALLINT",
        "VARCHAR(40)",
        "TEXT",
        "NUMERIC(12, 2)",
        "NUMERIC",
        "TIMESTAMP",
        "TIMESTAMPTZ(3)",
        "DATE",
        "BOOLEAN",
        "REAL",
        "DOUBLE PRECISION",
        "JSONB",
        "UUID",
        "INT[]",
        "CHAR(2)",
        "BYTEA",
    ],
    "snowflake": [
        "NUMBER",
        "NUMBER(10, 2)",
        "VARCHAR",
        "VARCHAR(100)",
        "TIMESTAMP_NTZ",
        "TIMESTAMP_LTZ(3)",
        "TIMESTAMP_TZ",
        "DATE",
        "BOOLEAN",
        "FLOAT",
        "VARIANT",
        "ARRAY",
        "BINARY",
    ],
    "bigquery": [
        "INT64",
        "STRING",
        "NUMERIC",
        "BIGNUMERIC",
        "FLOAT64",
        "BOOL",
        "TIMESTAMP",
        "DATETIME",
        "DATE",
        "BYTES",
        "JSON",
        "ARRAY<STRING>",
        "STRUCT<a INT64, b STRING>",
    ],
    "duckdb": [
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "VARCHAR",
        "DECIMAL(10, 2)",
        "DOUBLE",
        "REAL",
        "TIMESTAMP",
        "TIMESTAMPTZ",
        "DATE",
        "BOOLEAN",
        "UUID",
        "INT[]",
        "STRUCT(a INT)",
    ],
    "mysql": [
        "INT",
        "INT UNSIGNED",
        "BIGINT",
        "TINYINT",
        "VARCHAR(255)",
        "TEXT",
        "DECIMAL(10, 2)",
        "DATETIME(3)",
        "TIMESTAMP",
        "DATE",
        "JSON",
        "DOUBLE",
        "ENUM('a', 'b')",
        "MEDIUMTEXT",
    ],
    "tsql": [
        "INT",
        "BIGINT",
        "NVARCHAR(50)",
        "NVARCHAR(MAX)",
        "VARCHAR(20)",
        "DECIMAL(18, 4)",
        "DATETIME2",
        "DATETIME2(3)",
        "DATETIMEOFFSET",
        "DATE",
        "BIT",
        "UNIQUEIDENTIFIER",
    ],
    "spark": [
        "INT",
        "BIGINT",
        "STRING",
        "DECIMAL(10, 2)",
        "DOUBLE",
        "FLOAT",
        "TIMESTAMP",
        "TIMESTAMP_NTZ",
        "DATE",
        "BOOLEAN",
        "BINARY",
        "ARRAY<INT>",
        "MAP<STRING, INT>",
    ],
    "redshift": [
        "INT",
        "BIGINT",
        "VARCHAR",
        "VARCHAR(MAX)",
        "VARCHAR(10)",
        "DECIMAL(12, 2)",
        "TIMESTAMP",
        "TIMESTAMPTZ",
        "DATE",
        "BOOLEAN",
        "REAL",
        "DOUBLE PRECISION",
        "SUPER",
    ],
}
CONSTRAINED = {"postgres", "snowflake", "duckdb", "mysql", "tsql", "redshift"}
COMMENTED = {"postgres", "snowflake", "bigquery", "mysql", "spark", "redshift", "duckdb"}

names = st.text("abcdefgxyz_", min_size=1, max_size=8).filter(lambda s: not s.startswith("_"))
comments = st.none() | st.text("abc xyz'.,!", min_size=1, max_size=20)


@st.composite
def ddl_scripts(draw: st.DrawFn) -> tuple[str, str]:
    """A random CREATE TABLE script in a random dialect, as an engineer could write it."""
    dialect = draw(st.sampled_from(sorted(TYPES)))
    tables = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    statements = []
    for table in tables:
        cols = draw(st.lists(names, min_size=1, max_size=6, unique_by=str.lower))
        defs = []
        for col in cols:
            parts = [f"c_{col}", draw(st.sampled_from(TYPES[dialect]))]
            if draw(st.booleans()):
                parts.append("NOT NULL")
            if (
                dialect in CONSTRAINED
                and parts[1] in ("INT", "BIGINT", "INTEGER")
                and draw(st.booleans())
            ):
                parts.append(f"DEFAULT {draw(st.integers(-5, 99))}")
            comment = (
                draw(comments)
                if dialect in COMMENTED and dialect not in ("postgres", "redshift", "duckdb")
                else None
            )
            if comment is not None:
                escaped = (
                    comment.replace("'", "''")
                    if dialect in ("mysql",)
                    else comment.replace("'", "\\'")
                )
                parts.append(
                    f"OPTIONS(description='{escaped}')"
                    if dialect == "bigquery"
                    else f"COMMENT '{escaped}'"
                )
            defs.append(" ".join(parts))
        if dialect in CONSTRAINED and draw(st.booleans()):
            defs.append(f"PRIMARY KEY (c_{cols[0]})")
        if dialect in CONSTRAINED - {"redshift"} and len(cols) > 1 and draw(st.booleans()):
            defs.append(f"UNIQUE (c_{cols[-1]}, c_{cols[0]})")
        if dialect in ("postgres", "duckdb", "snowflake") and draw(st.booleans()):
            defs.append(f"CHECK (c_{cols[0]} IS NOT NULL OR c_{cols[-1]} IS NULL)")
        statements.append(f"CREATE TABLE t_{table} ({', '.join(defs)})")
    return dialect, ";\n".join(statements)


@given(ddl_scripts())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rendered_ddl_reads_back_as_the_same_schema(case: tuple[str, str]) -> None:
    dialect, sql = case
    schema = parse_ddl(sql, dialect)
    assert parse_ddl(render_ddl(schema, dialect), dialect) == schema


ROUND_TRIPS = [
    (
        "postgres",
        """CREATE TABLE shop."Orders" (
        id BIGSERIAL PRIMARY KEY, "Note" TEXT DEFAULT 'n/a' CHECK ("Note" <> ''),
        customer_id INT REFERENCES shop.customers (id), "select" INT, amount NUMERIC(10, 2) NOT NULL,
        UNIQUE (customer_id, amount)) PARTITION BY RANGE (amount);
        COMMENT ON TABLE shop."Orders" IS 'It''s orders';
        COMMENT ON COLUMN shop."Orders"."Note" IS 'free text';""",
    ),
    (
        "snowflake",
        """CREATE OR REPLACE TABLE db.s.orders (id NUMBER AUTOINCREMENT, "lower" TEXT COMMENT 'q',
        ts TIMESTAMP_LTZ DEFAULT CURRENT_TIMESTAMP(), PRIMARY KEY (id)) CLUSTER BY (ts) COMMENT = 'orders'""",
    ),
    (
        "bigquery",
        """CREATE TABLE `proj.ds.Orders` (id INT64 NOT NULL OPTIONS(description='k'),
        ts TIMESTAMP, s STRUCT<a INT64, b ARRAY<STRING>>) PARTITION BY DATE(ts) CLUSTER BY id
        OPTIONS(description='orders')""",
    ),
    (
        "mysql",
        """CREATE TABLE `Orders` (`id` INT UNSIGNED NOT NULL AUTO_INCREMENT,
        `status` ENUM('new','paid') NOT NULL DEFAULT 'new' COMMENT 'state', `order` INT,
        PRIMARY KEY (`id`), UNIQUE KEY `u` (`status`, `order`)) ENGINE=InnoDB COMMENT='orders'""",
    ),
    (
        "tsql",
        """CREATE TABLE dbo.orders (id INT IDENTITY(1,1) NOT NULL, note NVARCHAR(MAX),
        at DATETIME2(3) DEFAULT SYSUTCDATETIME(), CONSTRAINT pk PRIMARY KEY CLUSTERED (id))""",
    ),
    (
        "spark",
        """CREATE TABLE db.orders (id BIGINT COMMENT 'k', dt STRING, m MAP<STRING, INT>)
        USING DELTA PARTITIONED BY (dt) COMMENT 'orders'""",
    ),
    ("databricks", "CREATE TABLE c.s.orders (id BIGINT, region STRING) CLUSTER BY (region)"),
    (
        "duckdb",
        "CREATE TABLE orders (id INT PRIMARY KEY, tags VARCHAR[], s STRUCT(a INT, b VARCHAR))",
    ),
    ("redshift", "CREATE TABLE orders (id INT, note VARCHAR, big VARCHAR(MAX), code CHAR(3))"),
]


@pytest.mark.parametrize(("dialect", "sql"), ROUND_TRIPS, ids=[d for d, _ in ROUND_TRIPS])
def test_real_ddl_round_trips_through_render_ddl(dialect: str, sql: str) -> None:
    schema = parse_ddl(sql, dialect)
    rendered = render_ddl(schema, dialect)
    assert parse_ddl(rendered, dialect) == schema
    assert render_ddl(parse_ddl(rendered, dialect), dialect) == rendered


def test_a_schema_renders_in_another_dialect_with_that_dialects_spelling() -> None:
    schema = parse_ddl("CREATE TABLE t (id BIGINT NOT NULL, name TEXT, at TIMESTAMPTZ)", "postgres")
    out = render_ddl(schema, "bigquery")
    assert "INT64" in out and "STRING" in out and "TIMESTAMP" in out
    again = parse_ddl(out, "bigquery").tables[0]
    assert [c.type.family for c in again.columns] == [
        TypeFamily.INTEGER,
        TypeFamily.STRING,
        TypeFamily.TIMESTAMP_TZ,
    ]


def test_a_contracts_logical_types_render_as_sql_types() -> None:
    text = """apiVersion: v3.0.2
kind: DataContract
id: c
version: 1.0.0
status: active
schema:
  - name: t
    properties:
      - {name: a, logicalType: string, logicalTypeOptions: {maxLength: 5}}
      - {name: b, logicalType: integer, logicalTypeOptions: {format: i64}}
      - {name: c, logicalType: timestamp}
"""
    out = render_ddl(parse_contract(text, dialect="postgres"), "postgres")
    assert "a VARCHAR(5)" in out and "b BIGINT" in out and "c TIMESTAMP" in out


def test_an_unknown_type_renders_as_written() -> None:
    t = ColumnType(name="CITEXT", family=TypeFamily.OTHER, sql="citext")
    assert render_type(t, "postgres") == "citext"
