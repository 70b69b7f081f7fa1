"""parse_ddl: statements, identifier resolution, ALTER TABLE and errors across dialects."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from service.errors import SchemaParseError
from service.schema import Table, parse_ddl


def table(sql: str, dialect: str) -> Table:
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


def test_quoted_and_unquoted_spellings_of_one_postgres_name_differ() -> None:
    t = table('CREATE TABLE t ("OrderId" INT, OrderId INT)', "postgres")
    assert t.column_names == ("OrderId", "orderid")
    with pytest.raises(SchemaParseError, match="column orderid is declared twice"):
        parse_ddl('CREATE TABLE t ("orderid" INT, OrderId INT)', "postgres")


def test_a_quoted_upper_case_snowflake_name_is_the_unquoted_name() -> None:
    with pytest.raises(SchemaParseError, match="column ID is declared twice"):
        parse_ddl('CREATE TABLE t (id INT, "ID" INT)', "snowflake")


def test_views_and_other_statements_are_skipped() -> None:
    schema = parse_ddl(
        """SET search_path = shop;
           CREATE SCHEMA IF NOT EXISTS shop;
           CREATE TABLE IF NOT EXISTS shop.orders (id INT);
           CREATE VIEW shop.v_orders AS SELECT id FROM shop.orders;
           CREATE INDEX ix ON shop.orders (id);
           INSERT INTO shop.orders VALUES (1);
           GRANT SELECT ON shop.orders TO analyst;
           ALTER TABLE shop.orders OWNER TO etl;
           DROP TABLE IF EXISTS shop.old_orders;""",
        "postgres",
    )
    assert [t.name for t in schema] == ["shop.orders"]


def test_tables_keep_the_order_of_the_script() -> None:
    schema = parse_ddl("CREATE TABLE b (x INT); CREATE TABLE a (y INT)", "duckdb")
    assert [t.name for t in schema] == ["b", "a"]
    assert schema.dialect == "duckdb"


def test_no_dialect_reads_with_sqlglots_generic_dialect() -> None:
    schema = parse_ddl("CREATE TABLE T (A INT)")
    assert schema.dialect == "generic"
    assert schema.tables[0].column_names == ("a",)


def test_an_unknown_dialect_is_an_error_listing_the_valid_ones() -> None:
    with pytest.raises(SchemaParseError, match=r"unknown dialect 'snowflak'.*postgres.*snowflake"):
        parse_ddl("CREATE TABLE t (a INT)", "snowflak")


def test_input_over_the_size_limit_is_refused() -> None:
    with pytest.raises(SchemaParseError, match="larger than the 100 bytes allowed"):
        parse_ddl("CREATE TABLE t (a INT);" + " " * 100, "postgres", max_bytes=100)


def test_a_syntax_error_names_the_line_column_and_a_snippet() -> None:
    sql = "CREATE TABLE t (\n  a INT,\n  b VARCHAR(10) NOT NULL DEFAULT,\n)"
    with pytest.raises(SchemaParseError) as caught:
        parse_ddl(sql, "postgres", source="orders.sql")
    err = caught.value
    assert (err.dialect, err.source, err.line) == ("postgres", "orders.sql", 3)
    assert err.column is not None and err.snippet
    assert str(err).startswith("orders.sql:3:")


def test_a_statement_sqlglot_kept_only_as_a_raw_command_is_an_error_with_its_line() -> None:
    sql = "CREATE TABLE a (x INT);\n\nCREATE TABLE t (a INT) WITH SOMETHING WEIRD;"
    with pytest.raises(SchemaParseError, match="unsupported syntax") as caught:
        parse_ddl(sql, "postgres")
    assert caught.value.line == 3


def test_a_duplicate_column_error_points_at_the_second_declaration() -> None:
    with pytest.raises(SchemaParseError) as caught:
        parse_ddl("CREATE TABLE t (\n  a INT,\n  A TEXT\n)", "postgres")
    assert (caught.value.line, caught.value.column) == (3, 3)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE TABLE t (a INT); CREATE TABLE IF NOT EXISTS t (a INT)", "created twice"),
        ("CREATE TABLE t (a INT PRIMARY KEY, b INT, PRIMARY KEY (b))", "more than one PRIMARY KEY"),
        ("CREATE TABLE t LIKE u", "declares no columns"),
        ("FOOBAR baz", "not a SQL statement"),
        ("CREATE TABLE t (a INT); 'just a string'", "not a SQL statement"),
        ("CREATE TABLE t (a TEXT DEFAULT 'unterminated)", "cannot"),
    ],
)
def test_more_bad_input_is_rejected_with_a_reason(sql: str, message: str) -> None:
    with pytest.raises(SchemaParseError, match=message):
        parse_ddl(sql, "postgres")


PG_DUMP = """
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.orders (
    id integer NOT NULL,
    customer_id integer,
    status text
);
ALTER TABLE public.orders OWNER TO shop;
CREATE SEQUENCE public.orders_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;
ALTER TABLE ONLY public.orders ALTER COLUMN id SET DEFAULT nextval('public.orders_id_seq'::regclass);
ALTER TABLE ONLY public.orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);
ALTER TABLE public.orders ADD COLUMN note text;
GRANT SELECT ON TABLE public.orders TO analyst;
"""


def test_a_pg_dump_script_applies_its_keys_and_defaults_from_alter_table() -> None:
    t = table(PG_DUMP, "postgres")
    assert t.name == "public.orders"
    assert t.column_names == ("id", "customer_id", "status", "note")
    assert t.primary_key == ("id",)
    assert [c.nullable for c in t.columns] == [False, True, False, True]
    assert t.columns[0].default is not None and "orders_id_seq" in t.columns[0].default
    (fk,) = t.foreign_keys
    assert (fk.columns, fk.ref_table) == (("customer_id",), "public.customers")


@pytest.mark.parametrize(
    "action",
    ["DROP COLUMN status", "RENAME COLUMN status TO state", "ALTER COLUMN status TYPE VARCHAR(10)"],
)
def test_an_alter_table_that_would_change_the_declared_shape_is_refused(action: str) -> None:
    with pytest.raises(SchemaParseError, match="is not applied"):
        parse_ddl(f"CREATE TABLE t (id INT, status TEXT); ALTER TABLE t {action}", "postgres")


def test_an_alter_table_of_a_table_the_script_does_not_declare_is_skipped() -> None:
    t = table("CREATE TABLE t (a INT); ALTER TABLE other DROP COLUMN x", "postgres")
    assert t.column_names == ("a",)


def test_an_ssms_script_with_go_separators_and_bracketed_names_is_read() -> None:
    sql = """SET ANSI_NULLS ON
GO
CREATE TABLE [dbo].[Orders](
    [OrderID] [int] IDENTITY(1,1) NOT NULL,
    [CustomerID] [nchar](5) NULL,
    [Freight] [money] NULL CONSTRAINT [DF_Orders_Freight] DEFAULT (0),
    CONSTRAINT [PK_Orders] PRIMARY KEY CLUSTERED ([OrderID] ASC)
) ON [PRIMARY]
GO
"""
    t = table(sql, "tsql")
    assert t.name == "dbo.orders"
    assert t.column_names == ("orderid", "customerid", "freight")
    assert t.primary_key == ("orderid",)
    assert t.columns[2].default == "0"


def test_a_postgres_partition_of_a_parent_is_not_a_table_of_its_own() -> None:
    schema = parse_ddl(
        """CREATE TABLE m (id INT, at DATE) PARTITION BY RANGE (at);
           CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');""",
        "postgres",
    )
    assert [t.name for t in schema] == ["m"]


def test_clickhouse_columns_are_not_null_unless_their_type_is_nullable() -> None:
    t = table(
        "CREATE TABLE e (id UInt64, n Nullable(Int32), s LowCardinality(String)) "
        "ENGINE = MergeTree() ORDER BY id",
        "clickhouse",
    )
    assert [c.nullable for c in t.columns] == [False, True, False]
    assert t.columns[2].type == table("CREATE TABLE x (s String)", "clickhouse").columns[0].type


idents = st.text("aBcDxYz_", min_size=1, max_size=6).filter(lambda s: s[0] != "_")


@given(
    dialect=st.sampled_from(
        ["postgres", "snowflake", "bigquery", "duckdb", "spark", "tsql", "redshift", "oracle"]
    ),
    name=idents,
    quoted=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_column_names_resolve_exactly_as_sqlglot_normalises_identifiers(
    dialect: str, name: str, quoted: bool
) -> None:
    column = exp.to_identifier(name, quoted=quoted).sql(dialect)
    got = table(f"CREATE TABLE t ({column} INT)", dialect).column_names[0]
    expected = normalize_identifiers(
        exp.column(exp.to_identifier(name, quoted=quoted)), dialect=dialect
    )
    assert got == expected.name


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE TABLE t (a INT, b)", "column b has no type"),
        ("CREATE TABLE t (LIKE other INCLUDING ALL)", "copies columns with LIKE"),
    ],
)
def test_a_column_list_entry_that_is_not_a_readable_column_is_an_error(
    sql: str, message: str
) -> None:
    with pytest.raises(SchemaParseError, match=message):
        parse_ddl(sql, "postgres")


def test_sqlite_columns_may_have_no_type() -> None:
    t = table("CREATE TABLE t (a INTEGER PRIMARY KEY, b, c TEXT)", "sqlite")
    assert t.column_names == ("a", "b", "c")
    assert t.columns[1].type.family.value == "other"


def test_an_unterminated_string_names_where_reading_stopped() -> None:
    with pytest.raises(SchemaParseError, match="unterminated") as caught:
        parse_ddl("CREATE TABLE t (\n  a TEXT DEFAULT 'oops\n)", "postgres")
    assert (caught.value.line, caught.value.column) == (2, 18)  # where the string opens
    assert caught.value.snippet == "a TEXT DEFAULT 'oops"


def test_the_fast_column_constructor_builds_the_same_frozen_column() -> None:
    from service.schema.ddl_table import plain_column
    from service.schema.model import Column, ColumnType, TypeFamily

    t = ColumnType("INT", TypeFamily.INTEGER, bits=32)
    fast, slow = plain_column("a", t, False, 3), Column("a", t, False, None, None, 3)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(AttributeError):
        fast.name = "b"  # type: ignore[misc]


def test_read_statements_reads_trees_sqlglot_already_parsed() -> None:
    import sqlglot

    from service.schema.ddl import read_statements

    parsed = [s for s in sqlglot.parse("CREATE TABLE t (A INT NOT NULL)", read="snowflake") if s]
    schema = read_statements(parsed, "snowflake")
    assert schema == parse_ddl("create table T (a int not null)", "snowflake")


@pytest.mark.parametrize(
    ("alias", "dialect"),
    [("PostgreSQL", "postgres"), ("sqlserver", "tsql"), (" Snowflake ", "snowflake")],
)
def test_common_engine_names_resolve_to_sqlglot_dialects(alias: str, dialect: str) -> None:
    assert parse_ddl("CREATE TABLE t (a INT)", alias).dialect == dialect


TOKENS = [
    *[
        "CREATE",
        "TABLE",
        "OR",
        "REPLACE",
        "IF",
        "NOT",
        "EXISTS",
        "t",
        "a",
        "b",
        "(",
        ")",
        ",",
        ";",
        "INT",
        "PRIMARY",
        "KEY",
        "UNIQUE",
        "DEFAULT",
        "0",
    ],
    *[
        "NULL",
        "REFERENCES",
        "u",
        "COMMENT",
        "ON",
        "COLUMN",
        "IS",
        "t.a",
        "ALTER",
        "ADD",
        "CONSTRAINT",
        "DROP",
        "PARTITION",
        "BY",
    ],
    *["'x'", '"A"', "VARCHAR(10)", "NUMERIC(10,2)", "CHECK (a > 0)", "STRUCT<x INT>", "--c\n"],
    *["ENUM('a')", "OPTIONS(description='d')", "GO", "SET", "VIEW", "AS", "SELECT", "1", "/*", "`"],
]


@given(
    dialect=st.sampled_from(
        ["postgres", "snowflake", "bigquery", "mysql", "tsql", "spark", "sqlite"]
    ),
    tokens=st.lists(st.sampled_from(TOKENS), max_size=25),
)
@settings(max_examples=150, deadline=None)
def test_any_token_soup_either_reads_or_raises_a_schema_parse_error(
    dialect: str, tokens: list[str]
) -> None:
    try:
        schema = parse_ddl(" ".join(tokens), dialect)
    except SchemaParseError as e:
        assert e.dialect == dialect and e.message
    else:
        assert schema.tables


@pytest.mark.parametrize(
    ("sql", "dialect", "warning"),
    [
        ("CREATE TABLE t (a INT,\n PRIMARY KEY (b))", "postgres", "line 2: PRIMARY KEY of table t"),
        ("CREATE TABLE t (a INT, UNIQUE (b))", "postgres", "line 1: UNIQUE of table t"),
        ("CREATE TABLE t (a INT, FOREIGN KEY (b) REFERENCES u (id))", "postgres", "FOREIGN KEY"),
        (
            "CREATE TABLE t (a INT, CONSTRAINT pk PRIMARY KEY CLUSTERED (b))",
            "tsql",
            "the constraint of table t",
        ),
        ("CREATE TABLE t (a INT); ALTER TABLE t ADD UNIQUE (b)", "postgres", "UNIQUE"),
    ],
)
def test_a_constraint_on_a_column_the_table_lacks_is_skipped_with_a_warning(
    sql: str, dialect: str, warning: str
) -> None:
    schema = parse_ddl(sql, dialect)
    (table,) = schema.tables
    assert table.column_names == ("a",)
    assert (table.primary_key, table.uniques, table.foreign_keys) == ((), frozenset(), frozenset())
    (found,) = schema.warnings
    assert found.startswith(warning) or warning in found
    assert "names unknown column b; the constraint is ignored" in found


def test_two_versions_of_a_script_share_their_unchanged_plain_columns() -> None:
    old = parse_ddl("CREATE TABLE t (id BIGINT NOT NULL, a INT, b VARCHAR(10), c TEXT)", "postgres")
    new = parse_ddl(
        "CREATE TABLE t (id BIGINT NOT NULL, a BIGINT, b VARCHAR(10) NOT NULL, d INT, c TEXT)",
        "postgres",
    )
    (o,), (n,) = old.tables, new.tables
    assert o.columns[0] is n.columns[0]  # same name, type, nullability and position
    assert [(c.name, str(c.type), c.nullable, c.position) for c in n.columns] == [
        ("id", "BIGINT", False, 0),
        ("a", "BIGINT", True, 1),
        ("b", "VARCHAR(10)", False, 2),
        ("d", "INT", True, 3),
        ("c", "TEXT", True, 4),
    ]
    assert o.columns[3].position == 3 and o.columns[3] is not n.columns[4]
