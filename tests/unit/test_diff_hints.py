"""Rename hints as written on the command line, resolved per dialect against the old schema."""

from __future__ import annotations

import pytest

from service.diff import ChangeKind, diff_schemas
from service.diff.hints import resolve_renames
from service.errors import InvalidInput
from service.schema import parse_ddl


def test_a_qualified_table_name_on_the_left_is_a_table_rename() -> None:
    old = parse_ddl(
        "CREATE TABLE shop.orders (id INT); CREATE TABLE shop.items (id INT)", "postgres"
    )
    assert resolve_renames(["shop.orders=shop.orders_v2"], old) == {"shop.orders": "shop.orders_v2"}


def test_otherwise_the_last_dotted_part_is_a_column() -> None:
    old = parse_ddl("CREATE TABLE shop.orders (id INT)", "postgres")
    assert resolve_renames(["shop.orders.id=order_id"], old) == {"shop.orders.id": "order_id"}


def test_unquoted_names_fold_per_dialect_and_quoted_ones_keep_their_case() -> None:
    pg = parse_ddl('CREATE TABLE shop.orders ("OrderId" INT, note TEXT)', "postgres")
    assert resolve_renames(['SHOP.ORDERS."OrderId"=ID', "Shop.Orders.NOTE=Remark"], pg) == {
        "shop.orders.OrderId": "id",
        "shop.orders.note": "remark",
    }
    sf = parse_ddl("CREATE TABLE shop.orders (id INT)", "snowflake")
    assert resolve_renames(['shop.orders.id="order_id"'], sf) == {"SHOP.ORDERS.ID": "order_id"}


def test_a_renamed_tables_column_is_named_with_the_old_table_name() -> None:
    old = parse_ddl("CREATE TABLE shop.orders (id INT)", "duckdb")
    new = parse_ddl("CREATE TABLE shop.orders_v2 (order_id INT)", "duckdb")
    hints = resolve_renames(["shop.orders=shop.orders_v2", "shop.orders.id=order_id"], old)
    got = diff_schemas(old, new, renames=hints).changes
    assert [(c.kind, c.table, c.before, c.after) for c in got] == [
        (ChangeKind.TABLE_RENAMED, "shop.orders_v2", "shop.orders", "shop.orders_v2"),
        (ChangeKind.COLUMN_RENAMED, "shop.orders_v2", "id", "order_id"),
    ]


@pytest.mark.parametrize(
    ("hint", "message"),
    [
        ("shop.orders.id", "not of the form TABLE.OLD=NEW"),
        ("=x", "not of the form"),
        ("orders=x", "orders is not a table of the old schema"),
        ("shop.nowhere.id=x", "shop.nowhere is not a table of the old schema"),
        ("shop.orders.nope=x", "shop.orders has no column nope"),
        ("shop.orders.id=other.order_id", "takes no table prefix"),
    ],
)
def test_a_hint_that_names_nothing_in_the_old_schema_is_invalid_input(
    hint: str, message: str
) -> None:
    old = parse_ddl("CREATE TABLE shop.orders (id INT)", "postgres")
    with pytest.raises(InvalidInput, match=message):
        resolve_renames([hint], old)
