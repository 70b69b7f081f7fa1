"""Properties of impact over random lineage graphs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage import ColumnChange, LineageGraph, impact

COLUMNS = ("a", "b", "c", "d")
KINDS = ("column_removed", "column_type_narrowed", "column_nullability_relaxed", "column_added")


@st.composite
def graphs(draw: st.DrawFn) -> LineageGraph:
    """A random DAG: a few tables, then objects reading earlier ones by projection, filter or star."""
    graph = LineageGraph()
    tables = draw(st.integers(1, 3))
    for index in range(tables):
        graph.add_table(f"t{index}", dict.fromkeys(COLUMNS, "int"))
    for index in range(draw(st.integers(0, 10))):
        upstream = graph.objects()
        inputs = draw(st.lists(st.sampled_from(upstream), min_size=1, max_size=3, unique=True))
        outputs = draw(st.lists(st.sampled_from(COLUMNS), max_size=3, unique=True))
        projections = {
            out: {(draw(st.sampled_from(inputs)), draw(st.sampled_from(COLUMNS)))}
            for out in outputs
        }
        uses = [
            (draw(st.sampled_from(inputs)), draw(st.sampled_from(COLUMNS)), "filtered")
            for _ in range(draw(st.integers(0, 2)))
        ]
        stars = draw(st.lists(st.sampled_from(inputs), max_size=1))
        kind = draw(st.sampled_from(["view", "consumer", "model"]))
        graph.add_object(
            f"o{index}",
            kind,
            outputs,
            projections=projections,
            uses=uses,
            tables=inputs,
            star_tables=stars,
            opaque=draw(st.booleans()) and draw(st.booleans()),
        )
    return graph


changes = st.builds(
    ColumnChange,
    table=st.sampled_from(["t0", "t1", "t2"]),
    column=st.sampled_from((*COLUMNS, "unread")),
    kind=st.sampled_from(KINDS),
    breaking=st.just(True),
)


@settings(max_examples=75, deadline=None)
@given(graphs(), changes)
def test_every_reported_path_follows_edges_of_the_graph(
    graph: LineageGraph, change: ColumnChange
) -> None:
    for item in impact(graph, [change]).affected:
        assert item.path[0] == change.table and item.path[-1] == item.name
        assert len(item.path) == item.depth + 1
        for upstream, reader in zip(item.path, item.path[1:], strict=False):
            assert graph.graph.has_edge(upstream, reader)


@settings(max_examples=75, deadline=None)
@given(graphs(), changes)
def test_impact_never_lists_an_object_whose_inputs_are_untouched(
    graph: LineageGraph, change: ColumnChange
) -> None:
    found = impact(graph, [change])
    touched = found.names() | {change.table}
    for item in found.affected:
        assert touched & set(graph.inputs(item.name))
        assert {read.table for read in item.reads} <= touched


@settings(max_examples=75, deadline=None)
@given(graphs(), st.sampled_from(["t0", "t1", "t2"]), st.sampled_from(KINDS))
def test_a_change_that_nothing_reads_has_empty_impact(
    graph: LineageGraph, table: str, kind: str
) -> None:
    graph.add_table("lonely", {"x": "int"})
    assert impact(graph, [ColumnChange("lonely", "x", kind)]).affected == ()
    if table in graph.graph and not graph.graph.nodes[table].get("wide"):
        assert impact(graph, [ColumnChange(table, "unread", kind)]).affected == ()


@settings(max_examples=75, deadline=None)
@given(graphs(), changes)
def test_whatever_a_type_change_reaches_stops_working_when_the_column_is_removed(
    graph: LineageGraph, change: ColumnChange
) -> None:
    narrowed = ColumnChange(change.table, change.column, "column_type_narrowed")
    removed = ColumnChange(change.table, change.column, "column_removed")
    stopped = impact(graph, [removed])
    assert impact(graph, [narrowed]).names() <= stopped.names()
    assert all(item.stops_working for item in stopped.affected)
