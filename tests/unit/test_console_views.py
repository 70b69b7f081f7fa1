"""The console's views of change requests: diff order, impact typing, the SVG graph."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from service.console.graph import build, impact_svg
from service.console.views import change_lines, impact_view
from service.impact import Impact

CHANGES = [
    {"kind": "column_added", "table": "shop.orders", "column": "note", "verdict": "compatible"},
    {"kind": "column_removed", "table": "shop.orders", "column": "amount", "verdict": "breaking"},
    {"kind": "type_changed", "table": "shop.orders", "column": "id", "verdict": "unknown"},
]
EVIL = "<script>alert(1)</script>@x"
IMPACT = Impact.model_validate(
    {
        "readers": [
            {
                "kind": "subscription",
                "name": "subscription:1",
                "subscription": 1,
                "reads": ["shop.orders.amount"],
                "kinds": ["column_removed"],
                "path": ["shop.orders", "subscription:1"],
                "contacts": [{"email": EVIL, "role": "subscriber"}],
            },
            {
                "kind": "product",
                "name": "analytics.revenue",
                "product": "analytics.revenue",
                "reads": ["shop.orders.amount"],
                "kinds": ["column_removed"],
                "path": ["shop.orders", "analytics.revenue"],
                "contacts": [{"email": "bo@x", "role": "product owner"}],
            },
            {
                "kind": "view",
                "name": "finance.by_customer",
                "reads": ["shop.orders.amount"],
                "stops_working": True,
                "path": ["shop.orders", "finance.by_customer"],
                "contacts": [{"email": "fin@x", "role": "exposure owner"}],
            },
        ]
    }
)


def test_the_diff_lists_breaking_changes_first_then_unknown_then_compatible() -> None:
    assert [c.verdict for c in change_lines(CHANGES)] == ["breaking", "unknown", "compatible"]


def test_the_graph_links_each_change_through_what_is_read_to_who_reads_it() -> None:
    lines = change_lines(CHANGES)
    graph = build(lines, impact_view(IMPACT))
    change = "c:column_removed:shop.orders.amount"
    assert (change, "o:shop.orders.amount") in graph.edges
    assert ("o:shop.orders.amount", f"r:subscription:{EVIL}") in graph.edges
    assert ("o:shop.orders.amount", "r:product:analytics.revenue") in graph.edges
    assert ("o:shop.orders", "d:finance.by_customer") in graph.edges
    assert ("d:finance.by_customer", "r:subscription:fin@x") in graph.edges
    # Compatible changes are left out of the graph when anything is not compatible.
    assert not any(key.startswith("c:column_added") for key, _, _ in graph.columns[0])


def test_the_svg_is_well_formed_and_escapes_every_label() -> None:
    svg = str(impact_svg(change_lines(CHANGES), impact_view(IMPACT)))
    root = ET.fromstring(svg)
    assert "<script>" not in svg
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert EVIL in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) >= 4
