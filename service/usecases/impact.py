"""Who a change set reaches: subscriptions (by the columns they read) and downstream products."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from service.diff.model import ChangeSet
from service.diff.old_names import OldNamed, old_named
from service.errors import StewardError
from service.schema.model import Schema
from service.usecases.reads import columns_read, qualified_columns


@dataclass(frozen=True, slots=True)
class Reader:
    """Someone reading a product: a subscription, or a downstream product's defining SQL."""

    key: str  # "subscription:<id>" or "product:<name>"
    email: str
    columns: frozenset[str] | None  # None: every column
    all_changes: bool = False


@dataclass(frozen=True, slots=True)
class Downstream:
    """A product defined by SQL, with its owners (who answer for it)."""

    name: str
    sql: str
    dialect: str
    owners: tuple[str, ...]


def touched(named: OldNamed, columns: frozenset[str], tables: frozenset[str]) -> list[str]:
    """The read columns one change reaches, by the OLD names readers use.

    A change that concerns no column (a table rename, a table comment) reaches every read
    column of its table; one that names columns reaches only those.
    """
    if named.columns:
        keys = (f"{named.table}.{c}" for c in named.columns)
        return sorted(k for k in keys if k in columns)
    if named.table in tables:
        prefix = f"{named.table}."
        return sorted(c for c in columns if c.startswith(prefix))
    return []


def reached(
    changes: ChangeSet, columns: frozenset[str], *, all_changes: bool
) -> tuple[list[str], list[str], bool]:
    """(columns reached, change kinds, breaking?) for a reader of `columns` (OLD names)."""
    tables = frozenset(c.rsplit(".", 1)[0] for c in columns)
    hit_columns: set[str] = set()
    kinds: list[str] = []
    breaking = False
    for named in old_named(changes):
        relevant = all_changes or named.breaking
        hits = touched(named, columns, tables)
        if not relevant or (not hits and not all_changes):
            continue
        hit_columns.update(hits)
        if named.change.kind.value not in kinds:
            kinds.append(named.change.kind.value)
        breaking = breaking or (bool(hits) and named.breaking)
    return sorted(hit_columns), kinds, breaking


def compute_impact(
    changes: ChangeSet,
    old: Schema,
    subscriptions: Sequence[tuple[int, str, frozenset[str] | None, bool]],
    downstream: Iterable[Downstream],
    lineage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The impact JSON: affected subscriptions (id, consumer, columns) and downstream products.

    `subscriptions` are (id, consumer email, columns read or None for all, all_changes).
    `consumers` lists who must acknowledge a breaking change before an early release.
    """
    everything = frozenset(qualified_columns(old))
    affected_subs: list[dict[str, Any]] = []
    # Thousands of subscribers read a few distinct column sets: reach each set once.
    seen: dict[tuple[frozenset[str], bool], tuple[list[str], list[str], bool]] = {}
    for sub_id, email, cols, all_changes in subscriptions:
        key = (cols or everything, all_changes)
        if key not in seen:
            seen[key] = reached(changes, key[0], all_changes=all_changes)
        hit, kinds, breaking = seen[key]
        if kinds:
            affected_subs.append(
                {
                    "subscription": sub_id,
                    "consumer": email,
                    "columns": list(hit),
                    "changes": list(kinds),
                    "breaking": breaking,
                }
            )
    products: list[dict[str, Any]] = []
    downstream = list(downstream)
    for product in downstream:
        try:
            cols = frozenset(columns_read(product.sql, product.dialect, [old]))
        except StewardError:
            continue  # a defining SQL that no longer parses reaches nobody we can name
        hit, kinds, breaking = reached(changes, cols, all_changes=False)
        if hit:
            products.append(
                {
                    "product": product.name,
                    "owners": list(product.owners),
                    "columns": list(hit),
                    "changes": list(kinds),
                    "breaking": breaking,
                }
            )
    products += _through_lineage(lineage, products, downstream)
    consumers = sorted({s["consumer"] for s in affected_subs if s["breaking"]})
    return {
        "subscriptions": affected_subs,
        "downstream_products": products,
        "consumers": consumers,
        "products_to_acknowledge": sorted(p["product"] for p in products if p["breaking"]),
        "lineage": lineage,
    }


def _through_lineage(
    lineage: dict[str, Any] | None, found: list[dict[str, Any]], downstream: list[Downstream]
) -> list[dict[str, Any]]:
    """Products the lineage graph reaches that direct reading did not (e.g. two hops away)."""
    if not lineage:
        return []
    owners = {d.name: list(d.owners) for d in downstream}
    known = {p["product"] for p in found}
    extra: dict[str, dict[str, Any]] = {}
    for item in lineage.get("affected", []):
        name = item.get("product")
        if not name or name in known:
            continue
        entry = extra.setdefault(
            name,
            {
                "product": name,
                "owners": owners.get(name, []),
                "columns": [],
                "changes": [],
                "breaking": True,
                "via": item.get("path", []),
            },
        )
        reads = {f"{r['table']}.{r['column']}" for r in item.get("reads", []) if r.get("column")}
        entry["columns"] = sorted(set(entry["columns"]) | reads)
    return list(extra.values())
