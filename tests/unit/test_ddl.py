"""parse_ddl: statements, names, constraints, comments and partitioning across dialects."""

from __future__ import annotations

import pytest

from service.errors import SchemaParseError
from service.schema import parse_ddl


def table(sql: str, dialect: str):
    """The only table of a script."""
    schema = parse_ddl(sql, dialect)
    assert len(schema.tables) == 1
    return schema.tables[0]


@pytest.mark.parametrize(
    ("dialect", "sql", "name", "columns"),
    [
        (
            "postgres",
            'CREATE TABLE Shop.Orders (OrderId INT, "OrderId" INT)',
            "shop.orders",
            ("orderid", "OrderId"),
        ),
        ("postgres", 'CREATE TABLE "Shop"."Orders" (a INT)', "Shop.Orders", ("a",)),
        (
            "snowflake",
            'CREATE TABLE db.shop.orders (id INT, "Mixed" INT, "LOUD" INT)',
            "DB.SHOP.ORDERS",
            ("ID", "Mixed", "LOUD"),
        ),
        (
            "bigquery",
            "CREATE TABLE `proj.Shop.Orders` (Id INT64, `Name` STRING)",
            "proj.Shop.Orders",
            ("id", "name"),
        ),
        ("duckdb", 'CREATE TABLE Orders (Id INT, "Name" VARCHAR)', "orders", ("id", "name")),
        (
            "spark",
            "CREATE TABLE shop.Orders (Id INT, `Name` STRING)",
            "shop.orders",
            ("id", "name"),
        ),
        ("databricks", "CREATE TABLE main.shop.Orders (Id INT)", "main.shop.orders", ("id",)),
        (
            "tsql",
            "CREATE TABLE dbo.[Orders] (Id INT, [Name] NVARCHAR(10))",
            "dbo.orders",
            ("id", "name"),
        ),
        ("mysql", "CREATE TABLE Orders (Id INT, `Name` VARCHAR(10))", "Orders", ("id", "name")),
        (
            "redshift",
            'CREATE TABLE Shop.Orders (Id INT, "Name" VARCHAR)',
            "shop.orders",
            ("id", "name"),
        ),
    ],
)
def test_identifiers_resolve_by_the_dialects_folding_rules(dialect, sql, name, columns):
    t = table(sql, dialect)
    assert t.name == name
    assert t.column_names == columns


def test_primary_key_columns_are_not_null_and_inline_constraints_are_read():
    t = table(
        """CREATE TABLE shop.orders (
               id BIGINT PRIMARY KEY,
               email VARCHAR(200) NOT NULL UNIQUE,
               amount NUMERIC(10, 2) DEFAULT 0 CHECK (amount >= 0),
               customer_id INT REFERENCES shop.customers (id)
           )""",
        "postgres",
    )
    assert t.primary_key == ("id",)
    assert [c.nullable for c in t.columns] == [False, False, True, True]
    assert t.uniques == frozenset({("email",)})
    assert t.checks == frozenset({"amount >= 0"})
    assert t.columns[2].default == "0"
    (fk,) = t.foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (
        ("customer_id",),
        "shop.customers",
        ("id",),
    )


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("", "empty input"),
        ("   \n ", "empty input"),
        ("SELECT 1; INSERT INTO t VALUES (1)", "no CREATE TABLE statement found"),
        ("CREATE TABLE t (a INT, a TEXT)", "column a is declared twice"),
        ("CREATE TABLE t (a INT); CREATE TABLE t (b INT)", "table t is created twice"),
        ("CREATE TABLE t (a INT, PRIMARY KEY (b))", "names unknown column b"),
        ("CREATE TABLE t (a INT) WITH SOMETHING WEIRD", "unsupported syntax"),
        ("CREATE TABLE t AS SELECT 1 AS a", "declares no columns"),
        ("CREATE TABLE t (a INT", "cannot parse SQL"),
    ],
)
def test_bad_input_raises_a_schema_parse_error(sql: str, message: str) -> None:
    with pytest.raises(SchemaParseError, match=message):
        parse_ddl(sql, "postgres")


def test_create_or_replace_redefines_a_table_and_the_later_one_wins() -> None:
    schema = parse_ddl("CREATE TABLE t (a INT); CREATE OR REPLACE TABLE t (b INT)", "snowflake")
    assert [t.column_names for t in schema] == [("B",)]
