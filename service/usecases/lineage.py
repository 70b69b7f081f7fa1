"""Lineage into the service: stored inputs (view SQL, dbt manifests, OpenLineage events) and
the in-process graph built from them, used for every change request's impact."""

from __future__ import annotations

import importlib
import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.diff.model import ChangeSet, Verdict
from service.domain import Principal
from service.errors import InvalidInput, StewardError
from service.schema import resolve_dialect
from service.schema.model import Schema
from service.store import queries as q
from service.store.tables import LineageSourceRow, ProductRow
from service.usecases.common import Limits, actor_row, stored_schema
from service.usecases.reads import columns_read
from service.workflow import ADMIN, authorize

log = logging.getLogger(__name__)
KINDS = ("sql", "dbt", "openlineage")


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
) -> LineageSourceRow:
    """Store a view's defining SQL (admins); it must parse in its dialect."""
    dialect = resolve_dialect(dialect)
    if len(sql.encode()) > limits.max_sql_bytes:
        raise InvalidInput(f"sql is larger than {limits.max_sql_bytes:,} bytes", field="sql")
    columns_read(sql, dialect, [])
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


def _lineage_module() -> Any:
    """The `lineage` package's public API when it is installed and complete, else None."""
    try:
        module = importlib.import_module("lineage")
    except ImportError:
        return None
    needed = ("LineageGraph", "ColumnChange", "impact")
    return module if all(hasattr(module, n) for n in needed) else None


class LineageIndex:
    """The lineage graph of this process, topped up from the store before each use."""

    def __init__(self) -> None:
        """An empty index; `refresh` loads what the store holds."""
        self._module = _lineage_module()
        self._graph: Any = self._module.LineageGraph() if self._module else None
        self._last_source = 0
        self._products: set[int] = set()
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Whether the lineage package is installed (impact then follows the graph)."""
        return self._graph is not None

    def refresh(self, session: Session) -> None:
        """Load lineage inputs and defining SQLs stored since the last refresh."""
        if self._graph is None:
            return
        with self._lock:
            sources = session.scalars(
                select(LineageSourceRow)
                .where(LineageSourceRow.id > self._last_source)
                .order_by(LineageSourceRow.id)
            ).all()
            for source in sources:
                self._add(source.kind, source.name, source.dialect, source.payload)
                self._last_source = source.id
            products = session.scalars(
                select(ProductRow).where(ProductRow.defining_sql.is_not(None))
            ).all()
            for product in products:
                if product.id in self._products:
                    continue
                schema = stored_schema(
                    q.current_version_row(session, product.id).source, product.dialect
                )
                name = schema.tables[0].name if schema.tables else product.name
                self._add("sql", name, product.dialect, {"sql": product.defining_sql})
                self._products.add(product.id)

    def _add(
        self, kind: str, name: str | None, dialect: str | None, payload: dict[str, Any]
    ) -> None:
        graph = self._graph
        try:
            if kind == "sql":
                graph.add_sql(name, payload["sql"], dialect)
            elif kind == "dbt":
                graph.add_dbt_manifest(payload)
            else:
                graph.add_openlineage_event(payload)
        except (StewardError, ValueError, KeyError, TypeError) as exc:
            log.warning("lineage input %s %s skipped: %s", kind, name, exc)

    def impact(self, changes: ChangeSet, old: Schema, product: str) -> dict[str, Any] | None:
        """The lineage package's impact of the breaking changes (None without the package)."""
        if self._module is None or self._graph is None:
            return None
        column_changes = [
            self._module.ColumnChange(
                c.table,
                c.column,
                c.kind.value,
                c.verdict in (Verdict.BREAKING, Verdict.UNKNOWN),
            )
            for c in changes.changes
        ]
        with self._lock:
            result = self._module.impact(self._graph, column_changes)
        data: dict[str, Any] = result.to_json()
        return data
