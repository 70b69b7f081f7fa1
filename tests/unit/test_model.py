from service.diff import Bump, Change, ChangeKind, ChangeSet, Verdict
from service.schema import Column, ColumnType, Schema, Table, TypeFamily


def test_type_equality_ignores_the_spelling_shown_to_people() -> None:
    a = ColumnType("INT", TypeFamily.INTEGER, bits=32, sql="INTEGER")
    b = ColumnType("INT", TypeFamily.INTEGER, bits=32, sql="INT4")
    assert a == b
    assert str(a) == "INTEGER"


def test_schema_mapping_is_sqlglots_table_column_type_form() -> None:
    int_type = ColumnType("INT", TypeFamily.INTEGER, bits=32, sql="INT")
    schema = Schema("postgres", (Table("shop.orders", (Column("id", int_type),)),))
    assert schema.mapping() == {"shop.orders": {"id": "INT"}}
    assert schema.table("shop.orders") is not None
    assert schema.table("orders") is None


def test_a_change_set_is_breaking_when_any_change_breaks_readers() -> None:
    change = Change(
        ChangeKind.COLUMN_REMOVED,
        "t",
        "c",
        "INT",
        None,
        Verdict.BREAKING,
        Verdict.BREAKING,
        "Column c was removed.",
    )
    assert ChangeSet((change,), Bump.MAJOR).to_json()["breaking"] is True
    assert ChangeSet((), Bump.PATCH).breaking is False
