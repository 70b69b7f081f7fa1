"""Lineage into the service: stored inputs (view SQL, dbt manifests, OpenLineage events) and
the in-process graph built from them, used for every change request's impact."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from lineage import LineageGraph, LineageInputError, LineageWarning
from lineage.replay import Known, Recorder, Step, known_objects, replay
from service.diff.model import ChangeSet
from service.domain import Principal
from service.errors import InvalidInput, StewardError
from service.impact import Impact
from service.schema import resolve_dialect
from service.schema.model import Schema
from service.schema.names import GENERIC, sqlglot_dialect
from service.store import queries as q
from service.store.db import Database
from service.store.tables import LineageSourceRow, ProductRow, VersionRow
from service.usecases.common import Inline, Limits, Runner, actor_row, stored_schema
from service.usecases.impact import Directory, Owned, Subscriber, add_subscribers, reach, trace
from service.usecases.reads import columns_read
from service.workflow import ADMIN, authorize

log = logging.getLogger(__name__)
KINDS = ("sql", "dbt", "openlineage")
#: products, and lineage inputs, read in one worker call of a refresh
PRODUCT_BATCH, SOURCE_BATCH = 50, 100


def _store(
    session: Session,
    actor: Principal,
    kind: str,
    name: str | None,
    dialect: str | None,
    payload: dict[str, Any],
    now: datetime,
) -> LineageSourceRow:
    authorize("ingest_lineage", {ADMIN} if actor.is_admin else set())
    row = LineageSourceRow(kind=kind, name=name, dialect=dialect, payload=payload, created_at=now)
    session.add(row)
    session.flush()
    q.audit(
        session,
        actor=actor_row(session, actor),
        action=f"lineage.{kind}",
        entity="lineage_source",
        entity_id=row.id,
        product_id=None,
        now=now,
        after={"name": name},
    )
    return row


def ingest_sql(
    session: Session,
    *,
    actor: Principal,
    name: str,
    sql: str,
    dialect: str,
    limits: Limits,
    now: datetime,
    runner: Runner | None = None,
) -> LineageSourceRow:
    """Store a view's defining SQL (admins); it must parse in its dialect (read by `runner`)."""
    dialect = resolve_dialect(dialect)
    if len(sql.encode()) > limits.max_sql_bytes:
        raise InvalidInput(f"sql is larger than {limits.max_sql_bytes:,} bytes", field="sql")
    (runner or Inline()).run(columns_read, sql, dialect, [])
    return _store(session, actor, "sql", name, dialect, {"sql": sql}, now)


def ingest_dbt(
    session: Session, *, actor: Principal, manifest: dict[str, Any], now: datetime
) -> LineageSourceRow:
    """Store a dbt manifest.json (admins); it must have `nodes`."""
    if not isinstance(manifest.get("nodes"), dict):
        raise InvalidInput("not a dbt manifest: no `nodes` object", field="nodes")
    meta = manifest.get("metadata")
    name = meta.get("project_name") if isinstance(meta, dict) else None
    return _store(
        session, actor, "dbt", name if isinstance(name, str) else None, None, manifest, now
    )


def ingest_openlineage(
    session: Session, *, actor: Principal, event: dict[str, Any], now: datetime
) -> LineageSourceRow:
    """Store an OpenLineage run event (admins); it must name a job."""
    job = event.get("job")
    if not isinstance(job, dict) or not isinstance(job.get("name"), str):
        raise InvalidInput("not an OpenLineage run event: no `job.name`", field="job")
    name = f"{job.get('namespace', '')}/{job['name']}"
    return _store(session, actor, "openlineage", name, None, event, now)


def store_generation(session: Session | Connection) -> tuple[int, int, int, int]:
    """What the lineage index was built from, as one cheap read: (count, max id) of versions
    and of lineage sources.

    Rows are only ever added, so any row another process commits changes it, even one whose
    id is lower than rows already seen (ids are handed out before commit, so PostgreSQL may
    make them visible out of order).
    """
    found = session.execute(
        select(
            select(func.count(VersionRow.id)).scalar_subquery(),
            select(func.coalesce(func.max(VersionRow.id), 0)).scalar_subquery(),
            select(func.count(LineageSourceRow.id)).scalar_subquery(),
            select(func.coalesce(func.max(LineageSourceRow.id), 0)).scalar_subquery(),
        )
    ).one()
    return (int(found[0]), int(found[1]), int(found[2]), int(found[3]))


@dataclass(frozen=True, slots=True)
class ProductInput:
    """A product's current version as lineage reads it: its tables and its defining SQL."""

    product_id: int
    product: str
    version_id: int
    source: str
    dialect: str
    defining_sql: str | None


@dataclass(frozen=True, slots=True)
class SourceInput:
    """One stored lineage input: view SQL, a dbt manifest or an OpenLineage run event."""

    id: int
    kind: str
    name: str | None
    dialect: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Extension:
    """What reading some lineage inputs adds to a graph: the steps to replay on it, the
    warnings, each product table's product, and the inputs skipped (and why)."""

    steps: tuple[Step, ...]
    warnings: tuple[LineageWarning, ...]
    tables: tuple[tuple[str, str], ...]
    skipped: tuple[str, ...]


def _add(
    graph: LineageGraph,
    kind: str,
    name: str | None,
    dialect: str | None,
    payload: dict[str, Any],
    skipped: list[str],
) -> None:
    try:
        if kind == "sql":
            # lineage reads sqlglot's dialect names: generic SQL is its default dialect
            graph.add_sql(name or "query", payload["sql"], sqlglot_dialect(dialect or GENERIC))
        elif kind == "dbt":
            graph.add_dbt_manifest(payload)
        else:
            graph.add_openlineage_event(payload)
    except (StewardError, LineageInputError, ValueError, KeyError, TypeError) as exc:
        skipped.append(f"lineage input {kind} {name} skipped: {exc}")


def read_lineage(
    known: Sequence[Known], products: Sequence[ProductInput], sources: Sequence[SourceInput]
) -> Extension:
    """Read products' tables and defining SQL and lineage inputs against what a graph KNOWS:
    the unit a refresh runs in a worker, under its deadline (pure: no database)."""
    shadow = Recorder(known)
    tables: list[tuple[str, str]] = []
    skipped: list[str] = []
    for product in products:
        schema = stored_schema(product.source, product.dialect)
        for table in schema.tables:
            shadow.add_table(table.name, {c.name: str(c.type) for c in table.columns})
            tables.append((table.name, product.product))
        if product.defining_sql and schema.tables:
            sql = {"sql": product.defining_sql}
            _add(shadow, "sql", schema.tables[0].name, product.dialect, sql, skipped)
    for source in sources:
        _add(shadow, source.kind, source.name, source.dialect, source.payload, skipped)
    return Extension(tuple(shadow.steps), tuple(shadow.warnings), tuple(tables), tuple(skipped))


class LineageIndex:
    """The lineage graph of this process, topped up from the store before each use.

    Every API process keeps its own; `refresh` compares the store's generation (see
    `store_generation`) with the one it was built from, so lineage posted to one process
    is used by the next impact another process computes, and a refresh with nothing new
    costs one small query. What is new is read by `runner` (the API's worker with a
    deadline: `read_lineage`) and replayed here.
    """

    def __init__(self, runner: Runner | None = None) -> None:
        """An empty graph; `refresh` loads what the store holds."""
        self._runner: Runner = runner or Inline()
        self._graph = LineageGraph()
        self._generation: tuple[int, int, int, int] | None = None
        self._sources: set[int] = set()  # lineage source ids already in the graph
        self._versions: dict[int, int] = {}  # product id -> version id whose tables are loaded
        self._provisional: set[int] = set()  # products loaded from rows maybe never committed
        self._product_tables: dict[str, str] = {}  # table name -> product name
        #: Subscription reader nodes in the graph: product -> node -> what it was added with.
        self._subscribers: dict[str, dict[str, tuple[frozenset[str] | None, tuple[str, ...]]]] = {}
        #: Each product's subscriptions as last read: product id -> (generation, reads).
        self._reads: dict[int, tuple[int, tuple[q.SubscriptionRead, ...]]] = {}
        self._lock = threading.Lock()

    def refresh(self, session: Session, *, committed: bool = True) -> None:
        """Load product tables, defining SQLs and lineage inputs stored since the last refresh
        (DeadlineExceeded, with the graph as it was, when reading them takes too long).

        COMMITTED=False: SESSION holds rows not committed yet (a release re-diffing the other
        open change requests sees the version it publishes). Product versions are loaded (no
        lineage inputs: those wait for a committed refresh), and the next refresh looks at
        every product again, and loads those it loaded so again: were they rolled back, a later
        row could take their ids (SQLite reuses them) and leave the generation unchanged.
        """
        with self._lock:
            generation = store_generation(session)
            if committed and generation == self._generation:
                return
            if committed:
                for product_id in self._provisional:
                    self._versions.pop(product_id, None)
                self._provisional.clear()
            products = session.scalars(select(ProductRow)).all()
            current = q.current_versions(session, [p.id for p in products])
            pending = [
                ProductInput(p.id, p.name, v.id, v.source, p.dialect, p.defining_sql)
                for p in products
                if (v := current.get(p.id)) is not None and self._versions.get(p.id) != v.id
            ]
            # in batches, each under its own deadline: a store with thousands of inputs is read
            # bit by bit, and what was read stays read when a later batch fails
            for start in range(0, len(pending), PRODUCT_BATCH):
                batch = pending[start : start + PRODUCT_BATCH]
                self._extend(batch, [])
                self._versions.update((p.product_id, p.version_id) for p in batch)
                if not committed:
                    self._provisional.update(p.product_id for p in batch)
            if not committed:
                self._generation = None
                return
            ids = session.scalars(select(LineageSourceRow.id)).all()
            missing = sorted(set(ids) - self._sources)
            sources = (
                [
                    SourceInput(s.id, s.kind, s.name, s.dialect, s.payload)
                    for s in session.scalars(
                        select(LineageSourceRow)
                        .where(LineageSourceRow.id.in_(missing))
                        .order_by(LineageSourceRow.id)
                    ).all()
                ]
                if missing
                else []
            )
            for start in range(0, len(sources), SOURCE_BATCH):
                chunk = sources[start : start + SOURCE_BATCH]
                self._extend([], chunk)
                self._sources.update(s.id for s in chunk)
            self._generation = generation

    def top_up(self, db: Database) -> None:
        """`refresh` from DB's committed rows when they hold something new: when not (most
        operations), one autocommit statement and no transaction."""
        if db.read(store_generation) == self._generation:
            return
        with db.reading() as session:
            self.refresh(session)

    def subscriptions(self, session: Session, product: ProductRow) -> Sequence[q.SubscriptionRead]:
        """PRODUCT's subscriptions as `queries.subscription_reads` reads them, kept between
        operations while the product's subscriptions generation has not moved.

        PRODUCT must be locked in SESSION's transaction (`product_row(for_update=True)`): a
        subscribe or unsubscribe moves the generation in its own transaction, on the same
        row, so none can commit between reading the generation and reading the
        subscriptions, and one committed before is seen in the generation.
        """
        generation = product.subscriptions_generation
        with self._lock:
            kept = self._reads.get(product.id)
        if kept is not None and kept[0] == generation:
            return kept[1]
        found = tuple(q.subscription_reads(session, product.id))
        with self._lock:
            self._reads[product.id] = (generation, found)
        return found

    def columns_of(self, table: str) -> list[str] | None:
        """The columns the index knows TABLE has (None: a table it does not know)."""
        with self._lock:
            return self._graph.columns_of(table)

    def _extend(self, products: list[ProductInput], sources: list[SourceInput]) -> None:
        found = self._runner.run(read_lineage, known_objects(self._graph), products, sources)
        replay(self._graph, found.steps)
        self._graph.warnings.extend(found.warnings)
        self._product_tables.update(found.tables)
        for message in found.skipped:
            log.warning("%s", message)

    def impact(
        self,
        changes: ChangeSet,
        old: Schema,
        *,
        product: str,
        subscribers: Sequence[Subscriber] = (),
        fallback: tuple[str, ...] = (),
        owners_of: Callable[[list[str]], Mapping[str, tuple[str, ...]]] = lambda names: {},
    ) -> Impact:
        """Every reader the changes to PRODUCT (whose current schema is OLD) reach, and who is told.

        The subscribers are reader nodes of the graph (kept between answers, brought in line
        with SUBSCRIBERS, the store's list, each time); `owners_of` gives the
        owners of the downstream products reached; FALLBACK (the product's owners) are told
        of readers with no contact of their own.
        """
        with self._lock:
            graph = self._graph
            tables = [t.name for t in old.tables]
            for table in old.tables:
                if table.name not in graph.graph:
                    graph.add_table(table.name, {c.name: str(c.type) for c in table.columns})
            self._sync(product, subscribers, tables)
            directory = Directory(
                subscribers={s.node: s for s in subscribers}, fallback=fallback, product=product
            )
            found, positions = trace(graph, changes, directory)
            reached = {self._product_tables.get(a.name) for a in found.affected}
            names = sorted(n for n in reached if n is not None and n != product)
            owners = owners_of(names) if names else {}
            directory = replace(
                directory,
                products={
                    table: Owned(name, tuple(owners.get(name, ())))
                    for table, name in self._product_tables.items()
                    if name in names
                },
            )
            return reach(found, positions, changes, directory)

    def _sync(self, product: str, subscribers: Sequence[Subscriber], tables: list[str]) -> None:
        """The product's subscriptions as reader nodes: new or changed ones (re)added, gone ones
        removed; the others stay from the last answer (a product may have thousands)."""
        known = self._subscribers.setdefault(product, {})
        wanted = {s.node: s for s in subscribers}
        for node in [n for n in known if n not in wanted]:
            self._graph.remove_object(node)
            del known[node]
        shape = tuple(tables)
        changed = [s for s in subscribers if known.get(s.node) != (s.columns, shape)]
        for sub in changed:
            self._graph.remove_object(sub.node)
            known[sub.node] = (sub.columns, shape)
        add_subscribers(self._graph, changed, tables)


def product_impact(
    session: Session,
    product: ProductRow,
    changes: ChangeSet,
    old: Schema,
    lineage: LineageIndex | None = None,
    subscriptions: Sequence[q.SubscriptionRead] | None = None,
) -> Impact:
    """Who CHANGES to PRODUCT (whose current schema is OLD) reach: its subscriptions
    (SUBSCRIPTIONS, when the caller read them already) join the lineage graph's readers for
    one answer (LINEAGE: the door's index; else one built now)."""
    if lineage is None:
        lineage = LineageIndex()
        lineage.refresh(session)
    if subscriptions is None:
        subscriptions = q.subscription_reads(session, product.id)
    subscribers = [
        Subscriber(
            s.id,
            s.email,
            s.columns,
            s.all_changes,
            "sql" if s.by_sql else "all" if s.columns is None else "columns",
        )
        for s in subscriptions
    ]
    return lineage.impact(
        changes,
        old,
        product=product.name,
        subscribers=subscribers,
        fallback=_owners(product),
        owners_of=lambda names: _owners_of(session, names),
    )


def _owners(product: ProductRow) -> tuple[str, ...]:
    return tuple(sorted(m.principal.email for m in product.members if m.role == "owner"))


def _owners_of(session: Session, names: list[str]) -> dict[str, tuple[str, ...]]:
    rows = session.scalars(select(ProductRow).where(ProductRow.name.in_(names))).all()
    return {r.name: _owners(r) for r in rows}
