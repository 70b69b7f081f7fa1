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


COMMENTS = [
    (
        "mysql",
        "CREATE TABLE orders (id INT COMMENT 'Order id', note TEXT) COMMENT='All orders'",
        "All orders",
        {"id": "Order id", "note": None},
    ),
    (
        "snowflake",
        "CREATE TABLE orders (id INT COMMENT 'Order id') COMMENT = 'All orders'",
        "All orders",
        {"ID": "Order id"},
    ),
    (
        "postgres",
        """CREATE TABLE shop.orders (id INT, note TEXT);
           COMMENT ON TABLE shop.orders IS 'All orders';
           COMMENT ON COLUMN shop.orders.note IS 'Free text';
           COMMENT ON COLUMN shop.orders.id IS 'Order id';""",
        "All orders",
        {"id": "Order id", "note": "Free text"},
    ),
    (
        "snowflake",
        """CREATE TABLE orders (id INT);
           COMMENT ON TABLE Orders IS 'All orders';
           COMMENT ON COLUMN orders.ID IS 'Order id';""",
        "All orders",
        {"ID": "Order id"},
    ),
    (
        "bigquery",
        """CREATE TABLE shop.orders (
             id INT64 NOT NULL OPTIONS(description='Order id'),
             note STRING
           ) OPTIONS(description='All orders', labels=[('team', 'sales')])""",
        "All orders",
        {"id": "Order id", "note": None},
    ),
    (
        "spark",
        "CREATE TABLE orders (id INT COMMENT 'Order id') USING DELTA COMMENT 'All orders'",
        "All orders",
        {"id": "Order id"},
    ),
    (
        "databricks",
        "CREATE TABLE main.shop.orders (id BIGINT COMMENT 'Order id') COMMENT 'All orders'",
        "All orders",
        {"id": "Order id"},
    ),
    (
        "duckdb",
        "CREATE TABLE orders (id INT); COMMENT ON COLUMN orders.id IS 'Order id'",
        None,
        {"id": "Order id"},
    ),
]


@pytest.mark.parametrize(("dialect", "sql", "table_comment", "column_comments"), COMMENTS)
def test_table_and_column_comments_are_read_in_each_dialects_syntax(
    dialect: str, sql: str, table_comment: str | None, column_comments: dict[str, str | None]
) -> None:
    t = table(sql, dialect)
    assert t.comment == table_comment
    assert {c.name: c.comment for c in t.columns} == column_comments


def test_a_comment_on_a_table_the_script_does_not_create_is_ignored() -> None:
    t = table("CREATE TABLE t (a INT); COMMENT ON TABLE other IS 'x'", "postgres")
    assert t.comment is None


LAYOUT = [
    (
        "bigquery",
        "CREATE TABLE d.t (id INT64, ts TIMESTAMP, c STRING) PARTITION BY DATE(ts) CLUSTER BY c, id",
        ("DATE(ts)",),
        ("c", "id"),
    ),
    (
        "bigquery",
        "CREATE TABLE d.t (id INT64, day DATE) PARTITION BY day",
        ("day",),
        (),
    ),
    (
        "snowflake",
        "CREATE TABLE t (id INT, Region TEXT) CLUSTER BY (region, id)",
        (),
        ("REGION", "ID"),
    ),
    (
        "spark",
        "CREATE TABLE t (id INT, dt STRING) USING PARQUET PARTITIONED BY (dt) CLUSTERED BY (id) INTO 8 BUCKETS",
        ("dt",),
        ("id",),
    ),
    (
        "databricks",
        "CREATE TABLE t (id INT, dt DATE) PARTITIONED BY (dt)",
        ("dt",),
        (),
    ),
    (
        "databricks",
        "CREATE TABLE t (id INT, region STRING) CLUSTER BY (region)",
        (),
        ("region",),
    ),
    (
        "postgres",
        "CREATE TABLE t (id INT, created_at TIMESTAMPTZ) PARTITION BY RANGE (created_at)",
        ("RANGE(created_at)",),
        (),
    ),
    (
        "postgres",
        "CREATE TABLE t (id INT, Region TEXT) PARTITION BY LIST (region)",
        ("LIST(region)",),
        (),
    ),
]


@pytest.mark.parametrize(("dialect", "sql", "partition_by", "cluster_by"), LAYOUT)
def test_partitioning_and_clustering_are_read_per_dialect(
    dialect: str, sql: str, partition_by: tuple[str, ...], cluster_by: tuple[str, ...]
) -> None:
    t = table(sql, dialect)
    assert (t.partition_by, t.cluster_by) == (partition_by, cluster_by)


def test_hive_partition_columns_declared_in_partitioned_by_are_table_columns() -> None:
    t = table("CREATE TABLE t (id INT) PARTITIONED BY (dt STRING)", "hive")
    assert t.column_names == ("id", "dt")
    assert t.partition_by == ("dt",)


CONSTRAINTS = [
    (
        "postgres",
        """CREATE TABLE order_lines (
             order_id BIGINT, line_no INT, sku TEXT, qty INT,
             CONSTRAINT order_lines_pk PRIMARY KEY (order_id, line_no),
             CONSTRAINT sku_per_order UNIQUE (order_id, sku),
             CONSTRAINT positive_qty CHECK (qty > 0),
             CONSTRAINT fk_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
           )""",
        ("order_id", "line_no"),
        {("order_id", "sku")},
        {"qty > 0"},
        {(("order_id",), "orders", ("id",))},
    ),
    (
        "mysql",
        """CREATE TABLE `order_lines` (
             `order_id` BIGINT UNSIGNED NOT NULL,
             `line_no` INT NOT NULL,
             `sku` VARCHAR(40) NOT NULL,
             PRIMARY KEY (`order_id`, `line_no`),
             UNIQUE KEY `uq_sku` (`order_id`, `sku`),
             KEY `ix_sku` (`sku`),
             CONSTRAINT `fk_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`)
           ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
        ("order_id", "line_no"),
        {("order_id", "sku")},
        set(),
        {(("order_id",), "orders", ("id",))},
    ),
    (
        "tsql",
        """CREATE TABLE dbo.order_lines (
             order_id BIGINT NOT NULL,
             line_no INT NOT NULL,
             CONSTRAINT pk_order_lines PRIMARY KEY CLUSTERED (order_id, line_no)
           )""",
        ("order_id", "line_no"),
        set(),
        set(),
        set(),
    ),
    (
        "snowflake",
        """CREATE TABLE order_lines (
             order_id NUMBER REFERENCES orders (id),
             line_no NUMBER UNIQUE,
             PRIMARY KEY (order_id, line_no)
           )""",
        ("ORDER_ID", "LINE_NO"),
        {("LINE_NO",)},
        set(),
        {(("ORDER_ID",), "ORDERS", ("ID",))},
    ),
    (
        "duckdb",
        "CREATE TABLE t (a INT CHECK (a > 0), b INT, CHECK (a < b), UNIQUE (a, b))",
        (),
        {("a", "b")},
        {"a > 0", "a < b"},
        set(),
    ),
]


@pytest.mark.parametrize(("dialect", "sql", "pk", "uniques", "checks", "fks"), CONSTRAINTS)
def test_table_level_and_named_constraints_are_read(
    dialect: str,
    sql: str,
    pk: tuple[str, ...],
    uniques: set[tuple[str, ...]],
    checks: set[str],
    fks: set[tuple[tuple[str, ...], str, tuple[str, ...]]],
) -> None:
    t = table(sql, dialect)
    assert t.primary_key == pk
    assert t.uniques == uniques
    assert t.checks == checks
    assert {(f.columns, f.ref_table, f.ref_columns) for f in t.foreign_keys} == fks
    assert all(not t.column(c).nullable for c in pk)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("dialect", "a", "b"),
    [
        ("postgres", "x INT DEFAULT 0", "x INT default   0"),
        ("postgres", "x TIMESTAMPTZ DEFAULT now()", "x TIMESTAMPTZ DEFAULT NOW( )"),
        ("postgres", "x TEXT DEFAULT 'new'", "x TEXT DEFAULT  'new'"),
        ("postgres", "x INT CHECK (x > 0)", "x INT CHECK(X>0)"),
        ("postgres", "x INT CHECK (x BETWEEN 1 AND 9)", "x INT CHECK (x between 1 and 9)"),
        ("snowflake", "x INT DEFAULT 1 CHECK (x > 0)", 'x INT DEFAULT (1) CHECK ("X" > 0)'),
        (
            "snowflake",
            "x TIMESTAMP DEFAULT CURRENT_TIMESTAMP()",
            "x TIMESTAMP DEFAULT current_timestamp()",
        ),
        ("mysql", "x DATETIME DEFAULT CURRENT_TIMESTAMP", "x DATETIME DEFAULT current_timestamp"),
    ],
)
def test_defaults_and_checks_are_compared_as_generated_sql(dialect: str, a: str, b: str) -> None:
    ta, tb = table(f"CREATE TABLE t ({a})", dialect), table(f"CREATE TABLE t ({b})", dialect)
    assert ta == tb


def test_a_different_default_is_a_different_column() -> None:
    a = table("CREATE TABLE t (x INT DEFAULT 0)", "postgres")
    b = table("CREATE TABLE t (x INT DEFAULT 1)", "postgres")
    assert a.columns[0].default != b.columns[0].default


def test_serial_is_an_int_not_null_with_a_sequence_default() -> None:
    serial = table("CREATE TABLE orders (id SERIAL)", "postgres").columns[0]
    spelled = table(
        "CREATE TABLE orders (id INTEGER NOT NULL DEFAULT nextval('orders_id_seq'))", "postgres"
    ).columns[0]
    assert serial == spelled
    assert (serial.type.bits, serial.nullable) == (32, False)


@pytest.mark.parametrize(
    ("dialect", "column", "nullable", "default"),
    [
        ("postgres", "id INT GENERATED ALWAYS AS IDENTITY", False, "GENERATED ALWAYS AS IDENTITY"),
        ("tsql", "id INT IDENTITY(1,1)", False, "IDENTITY(1, 1)"),
        ("mysql", "id INT NOT NULL AUTO_INCREMENT", False, "AUTO_INCREMENT"),
        ("snowflake", "id INT AUTOINCREMENT", True, "AUTOINCREMENT"),
        ("postgres", "id INT NULL", True, None),
    ],
)
def test_identity_columns_record_their_generator_as_default(
    dialect: str, column: str, nullable: bool, default: str | None
) -> None:
    col = table(f"CREATE TABLE t ({column})", dialect).columns[0]
    assert (col.nullable, col.default) == (nullable, default)


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
        ("CREATE TABLE t (a INT, UNIQUE (b))", "UNIQUE of table t names unknown column b"),
        ("CREATE TABLE t (a INT, FOREIGN KEY (b) REFERENCES u (id))", "unknown column b"),
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
