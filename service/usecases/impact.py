"""Who a change set reaches: every reader in the lineage graph, and who is told of each.

Every reader of a product is a node of one lineage graph (a subscription, a downstream
product's SQL, a view, a dbt model or exposure, an OpenLineage job). Lineage is asked once
which of them the changes reach (named as the OLD schema names them, through
`column_changes.origins`), and each reader says who is to be told: the subscriber, the
downstream product's owners, the exposure's or the job's declared owner, else the changed
product's owners with a warning. `trace` asks lineage, `reach` makes the typed answer; the
CLI's `--downstream`, the API's change requests and the notices all read this one answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lineage import Affected, LineageGraph
from lineage import Impact as LineageImpact
from lineage import impact as lineage_impact
from service.diff.model import ChangeSet
from service.diff.old_names import BREAKING_FOR_READERS
from service.impact import Contact, ContactRole, Impact, ReadBy, Reader
from service.usecases.column_changes import origins

SUBSCRIPTION = "subscription"


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A subscription as a reader: its id, the consumer, the columns it reads (None: all)."""

    id: int
    email: str
    columns: frozenset[str] | None
    all_changes: bool = False
    by: ReadBy = "columns"
    #: Its object name in the lineage graph (named once: an impact looks it up thousands of times).
    node: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "node", subscription_node(self.id))


@dataclass(frozen=True, slots=True)
class Owned:
    """A product whose tables are in the graph, with its owners."""

    name: str
    owners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Directory:
    """What the service knows of readers that lineage does not: subscribers, products' owners.

    `fallback` are the changed product's owners, told of readers with no contact of their own.
    """

    subscribers: Mapping[str, Subscriber] = field(default_factory=dict)
    products: Mapping[str, Owned] = field(default_factory=dict)
    fallback: tuple[str, ...] = ()
    product: str | None = None


def subscription_node(subscription_id: int) -> str:
    """The lineage object name of a subscription."""
    return f"{SUBSCRIPTION}:{subscription_id}"


def add_subscribers(
    graph: LineageGraph, subscribers: Iterable[Subscriber], tables: list[str]
) -> None:
    """Each subscription as a reader node of the product's TABLES (names as the graph has them)."""
    for sub in subscribers:
        if sub.columns is None:
            graph.add_object(sub.node, SUBSCRIPTION, [], star_tables=tables)
            continue
        pairs = (name.rsplit(".", 1) for name in sub.columns if "." in name)
        graph.add_object(sub.node, SUBSCRIPTION, [], uses={(t, c, "read") for t, c in pairs})


def trace(
    graph: LineageGraph,
    changes: ChangeSet,
    directory: Directory | None = None,
    *,
    include_compatible: bool = False,
    all_warnings: bool = False,
) -> tuple[LineageImpact, list[int]]:
    """Lineage's answer for CHANGES (OLD-named), and the change position of each lineage change.

    Compatible changes are traced too when a subscriber asked for all changes.
    """
    pairs = origins(changes)
    subscribers = directory.subscribers.values() if directory else ()
    wanted = include_compatible or any(s.all_changes for s in subscribers)
    found = lineage_impact(
        graph, [c for _, c in pairs], include_compatible=wanted, all_warnings=all_warnings
    )
    return found, [p for p, _ in pairs]


def reach(
    found: LineageImpact,
    positions: list[int],
    changes: ChangeSet,
    directory: Directory | None = None,
    *,
    include_compatible: bool = False,
) -> Impact:
    """The typed impact of lineage's answer FOUND (POSITIONS: the change of each lineage change)."""
    directory = directory or Directory()
    readers: dict[str, Reader] = {}
    warnings = [str(w) for w in found.warnings]
    for item in found.affected:
        reader = _reader(item, positions, include_compatible, changes, directory)
        if reader is None:
            continue
        if reader.warning:
            warnings.append(reader.warning)
        readers[reader.name] = _merged(readers.get(reader.name), reader)
    return Impact(readers=tuple(readers.values()), warnings=tuple(dict.fromkeys(warnings)))


def _reader(
    item: Affected,
    positions: list[int],
    include_compatible: bool,
    changes: ChangeSet,
    directory: Directory,
) -> Reader | None:
    """One affected object as a reader with its contacts, or None when only compatible changes
    reach it. Without a contact of its own, the changed product's owners are told (warned)."""
    sub = directory.subscribers.get(item.name)
    if sub is None and item.kind == SUBSCRIPTION:
        return None  # another product's subscription, reached through that product
    reached = sorted({positions[i] for i in item.changes})
    if not (include_compatible or (sub is not None and sub.all_changes)):
        reached = [p for p in reached if changes.changes[p].verdict in BREAKING_FOR_READERS]
    if not reached:
        return None
    kinds = tuple(dict.fromkeys(changes.changes[p].kind.value for p in reached))
    reads = tuple(
        dict.fromkeys(f"{r.table}.{r.column}" if r.column else r.table for r in item.reads)
    )
    fields: dict[str, object] = {
        "kind": item.kind,
        "name": item.name,
        "job": item.job,
        "reads": reads,
        "changes": tuple(reached),
        "kinds": kinds,
        "breaking": any(changes.changes[p].verdict in BREAKING_FOR_READERS for p in reached),
        "stops_working": item.stops_working,
        "depth": item.depth,
        "path": item.path,
    }
    owned = directory.products.get(item.name)
    if sub is not None:
        contacts: tuple[Contact, ...] = (Contact(email=sub.email, role="subscriber"),)
        fields |= {"kind": SUBSCRIPTION, "subscription": sub.id, "by": sub.by}
    elif owned is not None and owned.name != directory.product:
        fields |= {"kind": "product", "name": owned.name, "product": owned.name}
        mine = tuple(Contact(email=e, role="product owner") for e in owned.owners)
        contacts = mine + _declared(item)
    else:
        if item.job:
            fields |= {"kind": "job", "name": item.job}
        contacts = _declared(item)
    if not contacts:
        contacts = tuple(
            Contact(email=e, role="owner of the changed product") for e in directory.fallback
        )
        warning = f"{fields['kind']} {fields['name']} has no known contact"
        fields["warning"] = warning + (": the product's owners are told" if contacts else "")
    # Validated: pydantic-core checks these typed values faster than `model_construct`'s
    # Python loop over the fields sets them (thousands of readers per answer).
    return Reader.model_validate({**fields, "contacts": contacts})


def _declared(item: Affected) -> tuple[Contact, ...]:
    """The contacts the object's lineage source declares (exposure owner, job owner) by email."""
    roles: dict[str, ContactRole] = {"job owner": "job owner", "exposure owner": "exposure owner"}
    return tuple(
        Contact(email=c.email, role=roles.get(c.role, "exposure owner"))
        for c in item.contacts
        if c.email
    )


def _merged(before: Reader | None, reader: Reader) -> Reader:
    """Two affected objects that are one reader (a job writing two datasets) as one."""
    if before is None:
        return reader
    nearer = before if before.depth <= reader.depth else reader
    return nearer.model_copy(
        update={
            "reads": tuple(dict.fromkeys(before.reads + reader.reads)),
            "changes": tuple(sorted(set(before.changes) | set(reader.changes))),
            "kinds": tuple(dict.fromkeys(before.kinds + reader.kinds)),
            "breaking": before.breaking or reader.breaking,
            "stops_working": before.stops_working or reader.stops_working,
            "contacts": tuple(dict.fromkeys(before.contacts + reader.contacts)),
        }
    )


__all__ = [
    "Directory",
    "Owned",
    "Subscriber",
    "add_subscribers",
    "reach",
    "subscription_node",
    "trace",
]
