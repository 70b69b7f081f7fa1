"""Properties of the diff: identity, symmetry, and indifference to spelling (Hypothesis)."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.diff import ChangeKind, Verdict, diff_schemas
from service.schema import parse_ddl
from service.schema.model import Column, ColumnType, ForeignKey, Schema, Table, TypeFamily

K = ChangeKind
F = TypeFamily
# Schema values are nested composites: generating them is slower than Hypothesis expects,
# more so on a busy machine; that is not a failure of the property.
SLOW_DATA = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- Schema values -------------------------------------------------------------------

scalar_types = st.one_of(
    st.builds(
        lambda bits, unsigned: ColumnType("INT", F.INTEGER, bits=bits, unsigned=unsigned),
        st.sampled_from([8, 16, 32, 64]),
        st.booleans(),
    ),
    st.builds(
        lambda p, s: ColumnType("DECIMAL", F.DECIMAL, precision=p, scale=min(s, p)),
        st.integers(1, 38),
        st.integers(0, 10),
    ),
    st.builds(lambda n: ColumnType("VARCHAR", F.STRING, length=n), st.none() | st.integers(1, 300)),
    st.builds(lambda n: ColumnType("CHAR", F.STRING, length=n), st.integers(1, 10)),
    st.builds(lambda b: ColumnType("FLOAT", F.FLOAT, precision=b), st.sampled_from([32, 64])),
    st.builds(
        lambda p: ColumnType("TIMESTAMP", F.TIMESTAMP, precision=p), st.none() | st.integers(0, 9)
    ),
    st.builds(lambda p: ColumnType("TIMESTAMPTZ", F.TIMESTAMP_TZ, precision=p), st.integers(0, 9)),
    st.just(ColumnType("DATE", F.DATE)),
    st.just(ColumnType("BOOLEAN", F.BOOLEAN)),
    st.builds(
        lambda vs: ColumnType("ENUM", F.ENUM, values=tuple(vs)),
        st.lists(st.sampled_from("abcd"), min_size=1, max_size=4, unique=True),
    ),
    st.builds(lambda n: ColumnType(n, F.OTHER, sql=n), st.sampled_from(["XML", "TSVECTOR"])),
    st.builds(lambda n: ColumnType(n, F.GEO), st.sampled_from(["GEOMETRY", "GEOGRAPHY"])),
)
column_types = st.recursive(
    scalar_types,
    lambda inner: st.one_of(
        st.builds(lambda t: ColumnType("ARRAY", F.ARRAY, args=(t,)), inner),
        st.builds(
            lambda fs: ColumnType("STRUCT", F.STRUCT, fields=tuple(fs.items())),
            st.dictionaries(st.sampled_from(["x", "y", "z"]), inner, min_size=1, max_size=3),
        ),
    ),
    max_leaves=3,
)


@st.composite
def tables(draw: st.DrawFn, name: str) -> Table:
    names = draw(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6, unique=True))
    columns = tuple(
        Column(
            n,
            draw(column_types),
            nullable=draw(st.booleans()),
            default=draw(st.sampled_from([None, "0", "1"])),
            comment=draw(st.sampled_from([None, "note", "other note"])),
            position=i,
        )
        for i, n in enumerate(names)
    )
    subset = st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True).map(tuple)
    return Table(
        name,
        columns,
        primary_key=draw(st.just(()) | subset),
        uniques=draw(st.frozensets(subset, max_size=2)),
        checks=draw(st.frozensets(st.sampled_from(["a > 0", "b <> ''"]), max_size=2)),
        foreign_keys=draw(
            st.frozensets(
                st.builds(ForeignKey, subset, st.sampled_from(["s.t1", "s.t2"])), max_size=1
            )
        ),
        comment=draw(st.sampled_from([None, "table", "the table"])),
        partition_by=draw(st.just(()) | subset),
        cluster_by=draw(st.just(()) | subset),
    )


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    names = draw(st.lists(st.sampled_from(["s.t1", "s.t2", "s.t3"]), max_size=3, unique=True))
    return Schema("postgres", tuple(draw(tables(n)) for n in sorted(names)))


def _pairs(a: Schema) -> st.SearchStrategy[Schema]:
    """A second schema that often shares tables and columns with the first."""
    return (
        schemas() | st.just(a) | st.builds(lambda t: Schema("postgres", t), st.just(a.tables[:1]))
    )


# --- Identity and symmetry -----------------------------------------------------------


@given(schemas())
@SLOW_DATA
def test_a_schema_compared_with_itself_has_no_changes(a: Schema) -> None:
    assert diff_schemas(a, a).changes == ()


MIRROR = {
    K.TABLE_ADDED: K.TABLE_REMOVED,
    K.COLUMN_ADDED: K.COLUMN_REMOVED,
    K.COLUMN_NULLABILITY_RELAXED: K.COLUMN_NULLABILITY_TIGHTENED,
    K.PRIMARY_KEY_ADDED: K.PRIMARY_KEY_REMOVED,
    K.UNIQUE_ADDED: K.UNIQUE_REMOVED,
    K.CHECK_ADDED: K.CHECK_REMOVED,
    K.FOREIGN_KEY_ADDED: K.FOREIGN_KEY_REMOVED,
    K.ENUM_VALUES_ADDED: K.ENUM_VALUES_REMOVED,
    K.DEFAULT_ADDED: K.DEFAULT_REMOVED,
}
MIRROR |= {v: k for k, v in MIRROR.items()}
TYPE_SHIFTS = {K.COLUMN_TYPE_WIDENED, K.COLUMN_TYPE_NARROWED}


def _keyed(
    s: Schema, t: Schema
) -> Counter[tuple[ChangeKind, str, str | None, str | None, str | None]]:
    return Counter(
        (c.kind, c.table, c.column, c.before, c.after)
        for c in diff_schemas(s, t).changes
        if c.kind is not K.COLUMN_REORDERED
    )


@given(st.data())
@settings(SLOW_DATA, max_examples=150)
def test_diff_b_a_mirrors_diff_a_b(data: st.DataObject) -> None:
    a = data.draw(schemas())
    b = data.draw(_pairs(a))
    forward, backward = _keyed(a, b), _keyed(b, a)
    mirrored: Counter[tuple[ChangeKind, str, str | None, str | None, str | None]] = Counter()
    for (kind, table, column, before, after), n in forward.items():
        mirrored[(MIRROR.get(kind, kind), table, column, after, before)] += n

    # widened one way is narrowed the other; narrowed one way may be narrowed both ways
    # (DECIMAL(10,2) <-> DECIMAL(12,1) loses digits in each direction).
    def loose(
        c: Counter[tuple[ChangeKind, str, str | None, str | None, str | None]],
    ) -> Counter[tuple[object, ...]]:
        return Counter(
            {(("type_shift" if k[0] in TYPE_SHIFTS else k[0]), *k[1:]): n for k, n in c.items()}
        )

    assert loose(mirrored) == loose(backward)
    for kind, table, column, before, after in forward:
        if kind is K.COLUMN_TYPE_WIDENED:
            assert (K.COLUMN_TYPE_NARROWED, table, column, after, before) in backward
    reordered = [
        any(c.kind is K.COLUMN_REORDERED for c in diff_schemas(s, t).changes)
        for s, t in ((a, b), (b, a))
    ]
    assert reordered[0] == reordered[1]


@given(st.data())
@SLOW_DATA
def test_unknown_verdicts_come_only_from_types_the_engine_cannot_order(data: st.DataObject) -> None:
    a = data.draw(schemas())
    b = data.draw(_pairs(a))
    for c in diff_schemas(a, b).changes:
        if Verdict.UNKNOWN in (c.verdict, c.writer_verdict):
            assert c.kind is K.COLUMN_TYPE_CHANGED


# --- Spelling: DDL text ----------------------------------------------------------------

SYNONYMS = {
    "postgres": [
        ["INT", "INTEGER", "INT4"],
        ["BIGINT", "INT8"],
        ["SMALLINT", "INT2"],
        ["BOOL", "BOOLEAN"],
        ["VARCHAR(40)", "CHARACTER VARYING(40)"],
        ["DOUBLE PRECISION", "FLOAT8"],
        ["REAL", "FLOAT4"],
        ["NUMERIC(12, 2)", "DECIMAL(12, 2)"],
        ["TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP(6)"],
        ["TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"],
        ["TEXT"],
        ["DATE"],
    ],
    "snowflake": [
        ["INT", "INTEGER", "NUMBER", "NUMBER(38, 0)", "BIGINT", "SMALLINT", "DECIMAL(38, 0)"],
        ["VARCHAR", "STRING", "TEXT"],
        ["FLOAT", "DOUBLE", "REAL", "FLOAT8", "DOUBLE PRECISION"],
        ["TIMESTAMP_NTZ", "TIMESTAMP_NTZ(9)", "DATETIME"],
        ["BOOLEAN"],
        ["NUMBER(10, 2)", "DECIMAL(10, 2)", "NUMERIC(10, 2)"],
    ],
    "duckdb": [
        ["INT", "INTEGER", "INT4"],
        ["BIGINT", "INT8"],
        ["VARCHAR", "TEXT", "STRING"],
        ["DOUBLE", "FLOAT8"],
        ["BOOL", "BOOLEAN"],
    ],
}
WORDS = ["order_id", "customer", "amount", "placed_at", "status", "note"]


def _case_variant(word: str, pattern: list[bool]) -> str:
    return "".join(ch.upper() if up else ch.lower() for ch, up in zip(word, pattern, strict=False))


@st.composite
def respelled_ddl(draw: st.DrawFn) -> tuple[str, str, str]:
    dialect = draw(st.sampled_from(sorted(SYNONYMS)))
    groups = SYNONYMS[dialect]
    names = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=len(WORDS), unique=True))
    picks = [draw(st.sampled_from(groups)) for _ in names]
    flips = st.lists(st.booleans(), min_size=12, max_size=12)

    def spell(name: str) -> str:
        # Unquoted in any case, or quoted exactly as the dialect folds unquoted names.
        if draw(st.booleans()):
            return _case_variant(name, draw(flips))
        return f'"{name.upper() if dialect == "snowflake" else name}"'

    def ddl() -> str:
        table = f"{spell('shop')}.{spell('orders')}"
        cols = ", ".join(
            f"{spell(n)} {draw(st.sampled_from(g))}" for n, g in zip(names, picks, strict=True)
        )
        return f"CREATE TABLE {table} ({cols});"

    return dialect, ddl(), ddl()


@given(respelled_ddl())
@settings(max_examples=150, deadline=None)
def test_respelling_types_by_synonyms_and_names_by_case_or_quotes_is_no_change(
    case: tuple[str, str, str],
) -> None:
    dialect, old, new = case
    assert diff_schemas(parse_ddl(old, dialect), parse_ddl(new, dialect)).changes == ()
