"""The diff engine on Schema values built directly."""

from __future__ import annotations

import pytest

from service.diff import Bump, ChangeKind, Verdict, bump_for, diff_schemas, is_blocking
from service.errors import InvalidInput
from service.schema.model import Column, ColumnType, ForeignKey, Schema, Table, TypeFamily

K = ChangeKind
INT = ColumnType("INT", TypeFamily.INTEGER, bits=32, sql="INT")
UINT = ColumnType("INT", TypeFamily.INTEGER, bits=32, unsigned=True, sql="INT UNSIGNED")
BIGINT = ColumnType("BIGINT", TypeFamily.INTEGER, bits=64, sql="BIGINT")
UBIGINT = ColumnType("BIGINT", TypeFamily.INTEGER, bits=64, unsigned=True, sql="BIGINT UNSIGNED")
TEXT = ColumnType("VARCHAR", TypeFamily.STRING, sql="TEXT")
DATE = ColumnType("DATE", TypeFamily.DATE, sql="DATE")


def vc(n: int | None) -> ColumnType:
    return ColumnType("VARCHAR", TypeFamily.STRING, length=n, sql=f"VARCHAR({n})")


def dec(p: int | None, s: int | None) -> ColumnType:
    return ColumnType("DECIMAL", TypeFamily.DECIMAL, precision=p, scale=s, sql=f"DECIMAL({p},{s})")


def ts(p: int | None, tz: bool = False) -> ColumnType:
    family = TypeFamily.TIMESTAMP_TZ if tz else TypeFamily.TIMESTAMP
    return ColumnType("TIMESTAMPTZ" if tz else "TIMESTAMP", family, precision=p)


def flt(bits: int) -> ColumnType:
    return ColumnType("FLOAT" if bits == 32 else "DOUBLE", TypeFamily.FLOAT, precision=bits)


def enum(*values: str) -> ColumnType:
    return ColumnType("ENUM", TypeFamily.ENUM, values=values)


def other(name: str) -> ColumnType:
    return ColumnType(name, TypeFamily.OTHER, sql=name)


def schema(*tables: Table, dialect: str = "postgres") -> Schema:
    return Schema(dialect, tables)


def one(*columns: Column, **kw: object) -> Schema:
    return schema(Table("shop.orders", columns, **kw))  # type: ignore[arg-type]


def kinds(old: Schema, new: Schema, **kw: object) -> list[tuple[str, str | None, str, str]]:
    cs = diff_schemas(old, new, **kw)  # type: ignore[arg-type]
    return [(c.kind.value, c.column, c.verdict.value, c.writer_verdict.value) for c in cs.changes]


def test_identical_schemas_have_no_changes_and_a_patch_bump() -> None:
    s = one(Column("id", INT, False), Column("note", TEXT))
    cs = diff_schemas(s, s)
    assert cs.changes == ()
    assert cs.bump is Bump.PATCH


def test_dropping_a_column_is_breaking_for_readers() -> None:
    old = one(Column("id", INT), Column("note", TEXT))
    cs = diff_schemas(old, one(Column("id", INT)))
    (change,) = cs.changes
    assert (change.kind, change.column, change.before) == (K.COLUMN_REMOVED, "note", "TEXT")
    assert change.verdict is Verdict.BREAKING
    assert "note" in change.reason and "shop.orders" in change.reason
    assert cs.bump is Bump.MAJOR


def test_adding_a_nullable_column_is_compatible_and_minor() -> None:
    cs = diff_schemas(one(Column("id", INT)), one(Column("id", INT), Column("note", TEXT)))
    assert kinds(one(Column("id", INT)), one(Column("id", INT), Column("note", TEXT))) == [
        ("column_added", "note", "compatible", "compatible")
    ]
    assert cs.bump is Bump.MINOR


def test_adding_a_required_column_without_default_breaks_only_writers() -> None:
    new = one(Column("id", INT), Column("qty", INT, nullable=False))
    assert kinds(one(Column("id", INT)), new) == [("column_added", "qty", "compatible", "breaking")]
    with_default = one(Column("id", INT), Column("qty", INT, nullable=False, default="0"))
    assert kinds(one(Column("id", INT)), with_default)[0][3] == "compatible"


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (INT, BIGINT, K.COLUMN_TYPE_WIDENED),
        (BIGINT, INT, K.COLUMN_TYPE_NARROWED),
        (UINT, INT, K.COLUMN_TYPE_NARROWED),
        (INT, UBIGINT, K.COLUMN_TYPE_NARROWED),
        (UINT, BIGINT, K.COLUMN_TYPE_WIDENED),
        (vc(10), vc(20), K.COLUMN_TYPE_WIDENED),
        (vc(20), vc(10), K.COLUMN_TYPE_NARROWED),
        (vc(20), vc(None), K.COLUMN_TYPE_WIDENED),
        (vc(None), vc(255), K.COLUMN_TYPE_NARROWED),
        (dec(10, 2), dec(12, 2), K.COLUMN_TYPE_WIDENED),
        (dec(10, 2), dec(10, 4), K.COLUMN_TYPE_NARROWED),
        (dec(10, 2), dec(12, 4), K.COLUMN_TYPE_WIDENED),
        (dec(12, 4), dec(12, 2), K.COLUMN_TYPE_NARROWED),
        (dec(10, 2), dec(None, None), K.COLUMN_TYPE_WIDENED),
        (flt(32), flt(64), K.COLUMN_TYPE_WIDENED),
        (flt(64), flt(32), K.COLUMN_TYPE_NARROWED),
        (ts(3), ts(6), K.COLUMN_TYPE_WIDENED),
        (ts(6), ts(0), K.COLUMN_TYPE_NARROWED),
        (ts(6), ts(6, tz=True), K.COLUMN_TYPE_CHANGED),
        (DATE, ts(6), K.COLUMN_TYPE_CHANGED),
        (INT, dec(12, 0), K.COLUMN_TYPE_CHANGED),
        (INT, TEXT, K.COLUMN_TYPE_CHANGED),
    ],
)
def test_type_changes_follow_the_widening_tables(
    before: ColumnType, after: ColumnType, kind: ChangeKind
) -> None:
    (change,) = diff_schemas(one(Column("c", before)), one(Column("c", after))).changes
    assert change.kind is kind
    expected = Verdict.COMPATIBLE if kind is K.COLUMN_TYPE_WIDENED else Verdict.BREAKING
    assert change.verdict is expected
    assert (change.before, change.after) == (str(before), str(after))


def test_a_timestamp_without_precision_uses_the_dialect_default() -> None:
    assert diff_schemas(one(Column("c", ts(None))), one(Column("c", ts(6)))).changes == ()
    snow = diff_schemas(
        schema(Table("t", (Column("c", ts(None)),)), dialect="snowflake"),
        schema(Table("t", (Column("c", ts(6)),)), dialect="snowflake"),
    )
    assert [c.kind for c in snow.changes] == [K.COLUMN_TYPE_NARROWED]


def test_strict_level_calls_widening_breaking() -> None:
    old, new = one(Column("c", INT)), one(Column("c", BIGINT))
    assert diff_schemas(old, new).bump is Bump.MINOR
    strict = diff_schemas(old, new, level="strict")
    assert strict.changes[0].verdict is Verdict.BREAKING
    assert strict.bump is Bump.MAJOR


def test_strict_level_also_calls_new_enum_members_breaking() -> None:
    old, new = one(Column("s", enum("a"))), one(Column("s", enum("a", "b")))
    assert kinds(old, new, level="strict") == [("enum_values_added", "s", "breaking", "compatible")]
    assert kinds(old, new) == [("enum_values_added", "s", "compatible", "compatible")]


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(InvalidInput, match="level"):
        diff_schemas(one(), one(), level="lenient")


def test_a_type_the_engine_does_not_model_yields_unknown_never_a_guess() -> None:
    (change,) = diff_schemas(
        one(Column("g", other("GEOGRAPHY"))), one(Column("g", other("GEOMETRY")))
    ).changes
    assert change.kind is K.COLUMN_TYPE_CHANGED
    assert change.verdict is Verdict.UNKNOWN and change.writer_verdict is Verdict.UNKNOWN
    assert "does not model" in change.reason
    cs = diff_schemas(one(Column("g", other("GEOGRAPHY"))), one(Column("g", other("GEOMETRY"))))
    assert is_blocking(cs) and not is_blocking(cs, allow_unknown=True)


def test_arrays_and_structs_compare_their_elements() -> None:
    arr = lambda t: ColumnType("ARRAY", TypeFamily.ARRAY, args=(t,))  # noqa: E731
    struct = lambda **f: ColumnType("STRUCT", TypeFamily.STRUCT, fields=tuple(f.items()))  # noqa: E731
    assert (
        kinds(one(Column("a", arr(INT))), one(Column("a", arr(BIGINT))))[0][0]
        == "column_type_widened"
    )
    assert (
        kinds(one(Column("a", arr(INT))), one(Column("a", arr(TEXT))))[0][0]
        == "column_type_changed"
    )
    old_s, new_s = struct(a=INT, b=TEXT), struct(a=INT)
    (change,) = diff_schemas(one(Column("s", old_s)), one(Column("s", new_s))).changes
    assert change.kind is K.COLUMN_TYPE_NARROWED and "field b" in change.reason
    wider = struct(a=BIGINT, b=TEXT, c=INT)
    assert kinds(one(Column("s", old_s)), one(Column("s", wider)))[0][0] == "column_type_widened"


def test_enum_members_added_and_removed_are_reported_separately() -> None:
    old, new = one(Column("s", enum("new", "paid"))), one(Column("s", enum("new", "shipped")))
    assert kinds(old, new) == [
        ("enum_values_added", "s", "compatible", "compatible"),
        ("enum_values_removed", "s", "breaking", "breaking"),
    ]
    only_added = diff_schemas(old, one(Column("s", enum("new", "paid", "void"))))
    assert [c.after for c in only_added.changes] == ["void"]
    assert only_added.bump is Bump.MINOR


def test_nullability_changes_cut_both_ways() -> None:
    assert kinds(one(Column("c", INT, False)), one(Column("c", INT, True))) == [
        ("column_nullability_relaxed", "c", "breaking", "compatible")
    ]
    assert kinds(one(Column("c", INT, True)), one(Column("c", INT, False))) == [
        ("column_nullability_tightened", "c", "compatible", "breaking")
    ]


def test_dropping_the_primary_key_also_relaxes_nullability_unless_still_not_null() -> None:
    old = one(Column("id", INT, True), primary_key=("id",))
    assert kinds(old, one(Column("id", INT, True))) == [
        ("column_nullability_relaxed", "id", "breaking", "compatible"),
        ("primary_key_removed", "id", "breaking", "compatible"),
    ]
    assert kinds(old, one(Column("id", INT, False))) == [
        ("primary_key_removed", "id", "breaking", "compatible")
    ]


def test_key_unique_check_and_foreign_key_changes() -> None:
    cols = (Column("id", INT, False), Column("cust", INT))
    fk = ForeignKey(("cust",), "shop.customers", ("id",))
    old = one(
        *cols, primary_key=("id",), uniques=frozenset({("cust",)}), checks=frozenset({"id > 0"})
    )
    new = one(*cols, primary_key=("id", "cust"), foreign_keys=frozenset({fk}))
    got = diff_schemas(old, new).changes
    assert [(c.kind.value, c.before, c.after) for c in got] == [
        ("column_nullability_tightened", "NULL", "NOT NULL"),
        ("primary_key_changed", "(id)", "(id, cust)"),
        ("unique_removed", "(cust)", None),
        ("check_removed", "id > 0", None),
        ("foreign_key_added", None, "(cust) -> shop.customers(id)"),
    ]


def test_defaults_comments_partitioning_and_clustering_are_patch_changes() -> None:
    old = one(Column("c", INT, default="0", comment="qty"), comment="Orders", partition_by=("c",))
    new = one(
        Column("c", INT, default="1", comment="quantity"), comment="All orders", cluster_by=("c",)
    )
    cs = diff_schemas(old, new)
    assert [c.kind for c in cs.changes] == [
        K.DEFAULT_CHANGED,
        K.COLUMN_COMMENT_CHANGED,
        K.TABLE_COMMENT_CHANGED,
        K.PARTITIONING_CHANGED,
        K.CLUSTERING_CHANGED,
    ]
    assert cs.bump is Bump.PATCH and not cs.breaking


def test_reordering_reports_only_the_columns_that_moved() -> None:
    a, b, c, d = (Column(n, INT) for n in "abcd")
    got = diff_schemas(one(a, b, c, d), one(d, a, b, c)).changes
    assert [(x.kind, x.column, x.before, x.after) for x in got] == [
        (K.COLUMN_REORDERED, "d", "position 4", "position 1")
    ]
    assert got[0].writer_verdict is Verdict.NEEDS_REVIEW


def test_a_rename_without_a_hint_is_a_removal_plus_an_addition() -> None:
    old, new = one(Column("id", INT)), one(Column("order_id", INT))
    assert [k[0] for k in kinds(old, new)] == ["column_added", "column_removed"]
    hinted = diff_schemas(old, new, renames={"shop.orders.id": "order_id"})
    assert [(c.kind, c.before, c.after) for c in hinted.changes] == [
        (K.COLUMN_RENAMED, "id", "order_id")
    ]


def test_a_renamed_column_still_reports_its_type_change_and_keeps_its_key() -> None:
    old = one(Column("id", INT, False), primary_key=("id",))
    new = one(Column("order_id", BIGINT, False), primary_key=("order_id",))
    got = diff_schemas(old, new, renames={"shop.orders.id": "order_id"}).changes
    assert [c.kind for c in got] == [K.COLUMN_RENAMED, K.COLUMN_TYPE_WIDENED]


def test_table_renames_need_a_hint_and_diff_the_renamed_tables_columns() -> None:
    old = schema(Table("shop.orders", (Column("id", INT),)))
    new = schema(Table("shop.orders_v2", (Column("id", BIGINT),)))
    assert [c.kind for c in diff_schemas(old, new).changes] == [K.TABLE_REMOVED, K.TABLE_ADDED]
    got = diff_schemas(old, new, renames={"shop.orders": "shop.orders_v2"}).changes
    assert [(c.kind, c.table, c.before, c.after) for c in got] == [
        (K.TABLE_RENAMED, "shop.orders_v2", "shop.orders", "shop.orders_v2"),
        (K.COLUMN_TYPE_WIDENED, "shop.orders_v2", "INT", "BIGINT"),
    ]


def test_a_rename_hint_naming_nothing_in_the_old_schema_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"shop\.orders has no column nope"):
        diff_schemas(one(Column("id", INT)), one(), renames={"shop.orders.nope": "x"})
    with pytest.raises(InvalidInput, match="names no table"):
        diff_schemas(one(Column("id", INT)), one(), renames={"nowhere.x": "y"})


def test_changes_are_ordered_by_table_then_column_position() -> None:
    old = schema(Table("b", (Column("x", INT), Column("y", INT))), Table("a", (Column("z", INT),)))
    new = schema(Table("a", ()), Table("b", (Column("x", BIGINT),)), Table("c", ()))
    got = [(c.table, c.kind.value, c.column) for c in diff_schemas(old, new).changes]
    assert got == [
        ("a", "column_removed", "z"),
        ("b", "column_type_widened", "x"),
        ("b", "column_removed", "y"),
        ("c", "table_added", None),
    ]


def test_the_perspective_decides_the_bump_and_whether_ci_blocks() -> None:
    cs = diff_schemas(one(Column("c", INT, True)), one(Column("c", INT, False)))
    assert bump_for(cs, "reader") is Bump.MINOR and not is_blocking(cs, "reader")
    assert bump_for(cs, "writer") is Bump.MAJOR and is_blocking(cs, "writer")
    assert is_blocking(cs, "both")
    relaxed = diff_schemas(one(Column("c", INT, False)), one(Column("c", INT, True)))
    assert bump_for(relaxed, "writer") is Bump.MINOR
    with pytest.raises(InvalidInput, match="perspective"):
        bump_for(cs, "auditor")


def test_enums_nested_in_arrays_widen_when_members_are_added_and_narrow_when_removed() -> None:
    def arr(t: ColumnType) -> ColumnType:
        return ColumnType("ARRAY", TypeFamily.ARRAY, args=(t,))

    small, large = arr(enum("a")), arr(enum("a", "b"))
    assert kinds(one(Column("x", small)), one(Column("x", large)))[0][0] == "column_type_widened"
    assert kinds(one(Column("x", large)), one(Column("x", small)))[0][0] == "column_type_narrowed"


def test_a_rename_hint_must_name_something_in_the_new_schema_too() -> None:
    old = one(Column("id", INT), Column("ref", INT))
    with pytest.raises(InvalidInput, match=r"the new shop\.orders has no column order_id"):
        diff_schemas(old, one(Column("id", INT)), renames={"shop.orders.id": "order_id"})
    with pytest.raises(InvalidInput, match="ref is also an old column"):
        diff_schemas(old, one(Column("ref", INT)), renames={"shop.orders.id": "ref"})
    with pytest.raises(InvalidInput, match=r"shop\.v2 is not a table of the new schema"):
        diff_schemas(old, old, renames={"shop.orders": "shop.v2"})


def test_swapping_two_column_names_with_two_hints_is_two_renames() -> None:
    old = one(Column("a", INT), Column("b", TEXT))
    new = one(Column("b", INT), Column("a", TEXT))
    got = diff_schemas(old, new, renames={"shop.orders.a": "b", "shop.orders.b": "a"}).changes
    assert [(c.kind, c.before, c.after) for c in got] == [
        (K.COLUMN_RENAMED, "a", "b"),
        (K.COLUMN_RENAMED, "b", "a"),
    ]
