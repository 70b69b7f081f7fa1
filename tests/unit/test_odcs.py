"""parse_contract: ODCS v3 contracts, validated against the official JSON schema, read into a Schema."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from service.errors import SchemaParseError
from service.schema import TypeFamily, is_contract, parse_contract, parse_ddl, parse_schema

F = TypeFamily

HEAD = """\
apiVersion: v3.0.2
kind: DataContract
id: orders-contract
version: 1.0.0
status: active
"""


def contract(body: str, head: str = HEAD) -> str:
    """A minimal valid contract header followed by the given YAML body."""
    return head + textwrap.dedent(body)


def test_the_sample_contract_reads_its_tables_keys_and_types(fixtures_dir: Path) -> None:
    text = (fixtures_dir / "contracts" / "orders.odcs.yaml").read_text()
    schema = parse_contract(text, source="orders.odcs.yaml")
    assert schema.dialect == "snowflake"
    orders, customers = schema.tables
    assert orders.name == "SALES.ORDERS"
    assert orders.comment == "Confirmed customer orders."
    assert orders.column_names == (
        "ORDER_ID",
        "CUSTOMER_ID",
        "STATUS",
        "AMOUNT",
        "ORDERED_AT",
        "EMAIL",
    )
    assert orders.primary_key == ("ORDER_ID",)
    assert orders.uniques == {("EMAIL",)}
    assert orders.partition_by == ("ORDERED_AT",)
    assert {(f.columns, f.ref_table, f.ref_columns) for f in orders.foreign_keys} == {
        (("CUSTOMER_ID",), "CUSTOMERS", ("CUSTOMER_ID",))
    }
    by_name = {c.name: c for c in orders.columns}
    assert by_name["ORDER_ID"].nullable is False
    assert by_name["CUSTOMER_ID"].nullable is False
    assert by_name["AMOUNT"].nullable is True
    assert by_name["ORDER_ID"].comment == "Surrogate key of the order."
    assert (by_name["STATUS"].type.family, by_name["STATUS"].type.length) == (F.STRING, 20)
    address = customers.column("ADDRESS")
    assert address is not None and address.type.family is F.STRUCT
    assert dict(address.type.fields)["ZIP"].length == 10
    tags = customers.column("TAGS")
    assert tags is not None and tags.type.args[0].family is F.STRING


def test_physical_types_go_through_the_dialects_canonical_table_like_ddl(
    fixtures_dir: Path,
) -> None:
    text = (fixtures_dir / "contracts" / "orders.odcs.yaml").read_text()
    from_contract = parse_contract(text).tables[0]
    from_ddl = parse_ddl(
        """CREATE TABLE sales.orders (
             order_id INT, customer_id NUMBER, status VARCHAR(20), amount NUMBER(12, 2),
             ordered_at TIMESTAMP, email TEXT)""",
        "snowflake",
    ).tables[0]
    assert [c.type for c in from_contract.columns] == [c.type for c in from_ddl.columns]


def test_an_explicit_dialect_overrides_the_servers_type() -> None:
    text = contract(
        """
        servers: [{server: prod, type: snowflake, account: a, database: d, schema: s}]
        schema:
          - name: orders
            properties:
              - {name: id, physicalType: INTEGER}
        """
    )
    assert parse_contract(text).tables[0].column_names == ("ID",)
    bq = parse_contract(text, dialect="bigquery")
    assert bq.dialect == "bigquery"
    assert bq.tables[0].columns[0].type.bits == 64


def test_without_a_server_or_dialect_the_generic_rules_apply() -> None:
    text = contract(
        """
        schema:
          - name: Orders
            properties:
              - {name: Id, physicalType: int}
        """
    )
    schema = parse_contract(text)
    assert schema.dialect == "generic"
    assert (schema.tables[0].name, schema.tables[0].column_names) == ("orders", ("id",))


@pytest.mark.parametrize(
    ("prop", "family", "fields"),
    [
        ("{name: c, logicalType: string}", F.STRING, {"length": None}),
        (
            "{name: c, logicalType: string, logicalTypeOptions: {maxLength: 12}}",
            F.STRING,
            {"length": 12},
        ),
        ("{name: c, logicalType: integer}", F.INTEGER, {"bits": None}),
        (
            "{name: c, logicalType: integer, logicalTypeOptions: {format: i32}}",
            F.INTEGER,
            {"bits": 32},
        ),
        ("{name: c, logicalType: number}", F.DECIMAL, {}),
        (
            "{name: c, logicalType: number, logicalTypeOptions: {format: f64}}",
            F.FLOAT,
            {"precision": 64},
        ),
        ("{name: c, logicalType: boolean}", F.BOOLEAN, {}),
        ("{name: c, logicalType: date}", F.DATE, {}),
        ("{name: c, logicalType: time}", F.TIME, {}),
        ("{name: c, logicalType: timestamp}", F.TIMESTAMP, {}),
        (
            "{name: c, logicalType: timestamp, logicalTypeOptions: {timezone: true}}",
            F.TIMESTAMP_TZ,
            {},
        ),
        ("{name: c, logicalType: array, items: {logicalType: integer}}", F.ARRAY, {}),
        (
            "{name: c, logicalType: object, properties: [{name: x, logicalType: date}]}",
            F.STRUCT,
            {},
        ),
        (
            "{name: c, physicalType: geography_point_thing}",
            F.OTHER,
            {"name": "GEOGRAPHY_POINT_THING"},
        ),
        (
            "{name: c, physicalType: 'NUMERIC(10, 2)', logicalType: number}",
            F.DECIMAL,
            {"precision": 10, "scale": 2},
        ),
    ],
)
def test_a_logical_type_alone_maps_to_a_family(
    prop: str, family: TypeFamily, fields: dict[str, object]
) -> None:
    text = contract(f"schema:\n  - name: t\n    properties:\n      - {prop}\n")
    t = parse_contract(text, dialect="postgres").tables[0].columns[0].type
    assert t.family is family
    assert {k: getattr(t, k) for k in fields} == fields


def test_primary_key_columns_follow_their_declared_positions() -> None:
    text = contract(
        """
        schema:
          - name: lines
            properties:
              - {name: line_no, primaryKey: true, primaryKeyPosition: 2, physicalType: int}
              - {name: note, physicalType: text}
              - {name: order_id, primaryKey: true, primaryKeyPosition: 1, physicalType: int}
        """
    )
    t = parse_contract(text, dialect="postgres").tables[0]
    assert t.primary_key == ("order_id", "line_no")
    assert [c.nullable for c in t.columns] == [False, True, False]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (HEAD.replace("kind: DataContract", "kind: DataProduct") + "schema: []\n", "$.kind"),
        (HEAD.replace("apiVersion: v3.0.2", "apiVersion: v9") + "schema: []\n", "$.apiVersion"),
        (HEAD + "schema:\n  - properties: [{name: a}]\n", "$.schema[0]"),
        (
            HEAD + "schema:\n  - name: t\n    properties: [{name: a, required: 'yes'}]\n",
            "$.schema[0].properties[0]",
        ),
        (HEAD.replace("id: orders-contract\n", ""), "$"),
    ],
)
def test_a_contract_that_breaks_the_json_schema_names_the_json_path(text: str, path: str) -> None:
    with pytest.raises(SchemaParseError, match="not a valid ODCS v3 contract") as caught:
        parse_contract(text, source="c.yaml")
    assert f"at {path}" in caught.value.message
    assert caught.value.source == "c.yaml"


def test_a_yaml_error_names_its_line_and_column() -> None:
    text = HEAD + "schema:\n  - name: t\n    properties: [{name: a\n"
    with pytest.raises(SchemaParseError, match="invalid YAML") as caught:
        parse_contract(text)
    assert caught.value.line is not None and caught.value.line >= 7
    assert caught.value.column is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "must be a YAML mapping"),
        (HEAD, "declares no schema objects"),
        (HEAD + "schema:\n  - name: t\n  - name: t\n", "appears twice"),
        (HEAD + "schema:\n  - name: t\n    properties: [{name: a}, {name: A}]\n", "appears twice"),
    ],
)
def test_contracts_without_a_readable_schema_are_rejected(text: str, message: str) -> None:
    with pytest.raises(SchemaParseError, match=message):
        parse_contract(text, dialect="postgres")


def test_dates_in_the_contract_stay_strings_for_the_json_schema() -> None:
    text = contract(
        """
        contractCreatedTs: 2024-05-01T10:00:00Z
        schema:
          - name: t
            properties: [{name: a, physicalType: int}]
        """
    )
    assert parse_contract(text).tables[0].column_names == ("a",)


def test_parse_schema_sniffs_contracts_and_ddl(fixtures_dir: Path) -> None:
    text = (fixtures_dir / "contracts" / "orders.odcs.yaml").read_text()
    assert is_contract(text)
    assert not is_contract("CREATE TABLE kind (apiVersion INT)")
    assert parse_schema(text, dialect=None).dialect == "snowflake"
    assert parse_schema("CREATE TABLE t (a INT)", dialect="mysql").dialect == "mysql"
    as_json = '{"apiVersion": "v3.0.2", "kind": "DataContract", "id": "x", "version": "1", "status": "a", "schema": [{"name": "t"}]}'
    assert parse_schema(as_json, dialect="postgres").tables[0].name == "t"


CONTRACTS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "contracts").glob("*.yaml"))


@pytest.mark.parametrize("path", CONTRACTS, ids=[p.name for p in CONTRACTS])
def test_every_sample_contract_validates_and_reads(path: Path) -> None:
    schema = parse_contract(path.read_text(), source=path.name)
    assert schema.tables and all(t.columns for t in schema.tables)
    assert all(c.type.family is not F.OTHER for t in schema.tables for c in t.columns)


def test_bigquery_physical_types_of_a_contract_read_nested_fields(fixtures_dir: Path) -> None:
    t = parse_contract((fixtures_dir / "contracts" / "events.odcs.yaml").read_text()).tables[0]
    assert t.name == "web.events"
    by = {c.name: c for c in t.columns}
    assert by["occurred_at"].type.family is F.TIMESTAMP_TZ
    assert [n for n, _ in by["page"].type.fields] == ["url", "title"]
    assert by["revenue"].type.precision == 38 and by["revenue"].type.scale == 9
    assert t.partition_by == ("occurred_at",)


def test_a_yaml_alias_bomb_is_refused_before_validation() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefgh"):
        prev = "a" if i == 0 else "bcdefgh"[i - 1]
        levels.append(
            f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]"
        )
    text = HEAD + "customProperties:\n" + "\n".join(f"  {line}" for line in levels) + "\n"
    with pytest.raises(SchemaParseError, match="expands to more than"):
        parse_contract(text)


def test_a_contract_over_the_size_limit_is_refused() -> None:
    with pytest.raises(SchemaParseError, match="larger than the 100 bytes allowed"):
        parse_contract(HEAD + "#" * 100, max_bytes=100)


def test_schema_level_relationships_become_foreign_keys_composite_too() -> None:
    text = contract(
        """
        apiVersion: v3.1.0
        schema:
          - name: lines
            relationships:
              - {from: [lines.order_id, lines.line_no], to: [order_lines.order_id, order_lines.no]}
              - {from: lines.sku, to: products.sku}
              - {from: lines.sku, to: products/sku/properties/id}
            properties:
              - {name: order_id, physicalType: int}
              - {name: line_no, physicalType: int}
              - {name: sku, physicalType: text}
        """,
        head=HEAD.replace("apiVersion: v3.0.2\n", ""),
    )
    t = parse_contract(text, dialect="postgres").tables[0]
    assert {(f.columns, f.ref_table, f.ref_columns) for f in t.foreign_keys} == {
        (("order_id", "line_no"), "order_lines", ("order_id", "no")),
        (("sku",), "products", ("sku",)),
    }
