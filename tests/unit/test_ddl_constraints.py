"""parse_ddl: constraints, defaults, identities, comments and partitioning across dialects."""

from __future__ import annotations

import pytest

from service.schema import Table, parse_ddl


def table(sql: str, dialect: str) -> Table:
    """The only table of a script."""
    schema = parse_ddl(sql, dialect)
    assert len(schema.tables) == 1
    return schema.tables[0]


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
