"""The console's views of change requests: diff order, impact typing, the SVG graph."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from service.console.graph import build, impact_svg
from service.console.views import change_lines, impact_view

CHANGES = [
    {"kind": "column_added", "table": "shop.orders", "column": "note", "verdict": "compatible"},
    {"kind": "column_removed", "table": "shop.orders", "column": "amount", "verdict": "breaking"},
    {"kind": "type_changed", "table": "shop.orders", "column": "id", "verdict": "unknown"},
]
IMPACT = {
    "subscriptions": [
        {
            "subscription": 1,
            "consumer": "<script>alert(1)</script>@x",
            "columns": ["shop.orders.amount"],
            "changes": ["column_removed"],
            "breaking": True,
        }
    ],
    "downstream_products": [
        {
            "product": "analytics.revenue",
            "owners": ["bo@x"],
            "columns": ["shop.orders.amount"],
            "changes": ["column_removed"],
            "breaking": True,
        }
    ],
    "consumers": ["<script>alert(1)</script>@x"],
    "lineage": {
        "affected": [
            {
                "name": "finance.by_customer",
                "kind": "view",
                "depth": 1,
                "path": ["shop.orders", "finance.by_customer"],
                "stops_working": True,
                "product": None,
            }
        ]
    },
}


def test_the_diff_lists_breaking_changes_first_then_unknown_then_compatible() -> None:
    assert [c.verdict for c in change_lines(CHANGES)] == ["breaking", "unknown", "compatible"]


def test_the_graph_links_each_change_through_what_is_read_to_who_reads_it() -> None:
    lines = change_lines(CHANGES)
    graph = build(lines, impact_view(IMPACT))
    change = "c:column_removed:shop.orders.amount"
    assert (change, "o:shop.orders.amount") in graph.edges
    assert ("o:shop.orders.amount", "r:subscription:<script>alert(1)</script>@x") in graph.edges
    assert ("o:shop.orders.amount", "r:product:analytics.revenue") in graph.edges
    assert ("o:shop.orders", "d:finance.by_customer") in graph.edges
    # Compatible changes are left out of the graph when anything is not compatible.
    assert not any(key.startswith("c:column_added") for key, _, _ in graph.columns[0])


def test_the_svg_is_well_formed_and_escapes_every_label() -> None:
    svg = str(impact_svg(change_lines(CHANGES), impact_view(IMPACT)))
    root = ET.fromstring(svg)
    assert "<script>" not in svg
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "<script>alert(1)</script>@x" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) >= 4
