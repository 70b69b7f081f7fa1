"""The impact as an SVG drawn on the server: changes -> objects -> consumers, paths visible."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from service.console.views import ChangeLine, ImpactView

WIDTH, NODE_W, NODE_H, GAP, TOP = 980, 220, 30, 12, 44
COLUMNS = (
    (10, "Changes"),
    (260, "What they read"),
    (510, "Downstream objects"),
    (760, "Consumers"),
)
CONSUMERS = 3
LABEL = 29


@dataclass
class Graph:
    """Nodes per column (in order) and edges between node keys."""

    columns: tuple[list[tuple[str, str, str]], ...] = field(
        default_factory=lambda: ([], [], [], [])
    )
    edges: set[tuple[str, str]] = field(default_factory=set)

    def node(self, column: int, key: str, label: str, tone: str) -> str:
        """Add a node once; its key."""
        if all(k != key for k, _, _ in self.columns[column]):
            self.columns[column].append((key, label, tone))
        return key

    def edge(self, a: str, b: str) -> None:
        """Connect two nodes."""
        if a != b:
            self.edges.add((a, b))


def build(changes: list[ChangeLine], impact: ImpactView) -> Graph:
    """The graph of what reaches whom: each change to the columns and objects it touches."""
    g = Graph()
    shown = [c for c in changes if c.verdict != "compatible"] or changes
    reads = list(impact.subscriptions) + list(impact.products)
    for change in shown:
        tone = change.verdict
        key = g.node(0, f"c:{change.kind}:{change.target}", f"{change.kind} {change.target}", tone)
        for reach in reads:
            for column in reach.columns:
                if column == change.target or (
                    column.startswith(change.table + ".") and (change.column is None)
                ):
                    g.edge(key, g.node(1, f"o:{column}", column, "object"))
        for obj in impact.lineage:
            if obj.path and (obj.path[0] in change.keys or obj.path[0] == change.table):
                g.edge(key, g.node(1, f"o:{obj.path[0]}", obj.path[0], "object"))
    for reach in reads:
        tone = "breaking" if reach.breaking else "compatible"
        label = reach.who if reach.kind == "subscription" else f"product {reach.who}"
        target = g.node(CONSUMERS, f"r:{reach.kind}:{reach.who}", label, tone)
        for column in reach.columns:
            if f"o:{column}" in {k for k, _, _ in g.columns[1]}:
                g.edge(f"o:{column}", target)
    for obj in impact.lineage:
        previous = f"o:{obj.path[0]}" if obj.path else None
        for hop in obj.path[1:]:
            current = g.node(2, f"d:{hop}", hop, "object")
            if previous:
                g.edge(previous, current)
            previous = current
        for email in obj.contacts:
            if previous:
                g.edge(previous, g.node(CONSUMERS, f"r:subscription:{email}", email, "breaking"))
        if obj.product and previous:
            g.edge(
                previous,
                g.node(2, f"r:product:{obj.product}", f"product {obj.product}", "breaking"),
            )
    return g


def _short(text: str) -> str:
    return text if len(text) <= LABEL else text[: LABEL - 1] + "…"


def impact_svg(changes: list[ChangeLine], impact: ImpactView) -> Markup:
    """An accessible SVG of the impact graph (title, description, a `<title>` per node)."""
    g = build(changes, impact)
    where: dict[str, tuple[int, int]] = {}
    rows = max((len(c) for c in g.columns), default=0)
    height = TOP + max(rows, 1) * (NODE_H + GAP) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="impact-graph" role="img" aria-labelledby="graph-title graph-desc">',
        '<title id="graph-title">Impact graph</title>',
        f'<desc id="graph-desc">{len(g.columns[0])} change(s) reach {len(g.columns[1])} '
        f"object(s), {len(g.columns[2])} downstream object(s) and {len(g.columns[3])} "
        "consumer(s); the list above says the same in words."
        "</desc>",
    ]
    for x, heading in COLUMNS:
        parts.append(f'<text x="{x}" y="20" class="graph-heading">{escape(heading)}</text>')
    for (x, _), nodes in zip(COLUMNS, g.columns, strict=True):
        for i, (key, _label, _tone) in enumerate(nodes):
            where[key] = (x, TOP + i * (NODE_H + GAP))
    for a, b in sorted(g.edges):
        if a in where and b in where:
            (x1, y1), (x2, y2) = where[a], where[b]
            sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H // 2, x2, y2 + NODE_H // 2
            mid = (sx + ex) // 2
            parts.append(
                f'<path class="edge" d="M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}" '
                'marker-end="url(#arrow)"/>'
            )
    parts.append(
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>'
    )
    for nodes in g.columns:
        for key, label, tone in nodes:
            x, y = where[key]
            parts.append(
                f'<g class="node {escape(tone)}"><title>{escape(label)}</title>'
                f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5"/>'
                f'<text x="{x + 8}" y="{y + 20}">{escape(_short(label))}</text></g>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
