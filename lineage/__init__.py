"""Column-level lineage and impact analysis over plain table -> column -> type mappings.

>>> graph = LineageGraph("snowflake", schemas={"SHOP.ORDERS": {"ID": "INT", "TOTAL": "INT"}})
>>> graph.add_sql("v", "create view shop.big as select id from shop.orders where total > 0")
['SHOP.BIG']
>>> [a.name for a in impact(graph, [ColumnChange("SHOP.ORDERS", "TOTAL", "column_removed")]).affected]
['SHOP.BIG']
"""

from lineage.graph import LineageGraph
from lineage.impact import impact
from lineage.load import LineageInputError, load
from lineage.model import Affected, ColumnChange, Impact, LineageWarning, Read

__all__ = [
    "Affected",
    "ColumnChange",
    "Impact",
    "LineageGraph",
    "LineageInputError",
    "LineageWarning",
    "Read",
    "impact",
    "load",
]
