"""Typed views of what the use cases return, shaped for the pages (the one place JSON is read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.domain import ChangeRequest, Product, State, parse_duration
from service.impact import Impact
from service.schema.model import Schema
from service.schema.render import render_type

VERDICT_ORDER = {"breaking": 0, "unknown": 1, "compatible": 2}
STATE_WORDS = {
    State.PROPOSED: "Proposed: waiting for an owner's decision",
    State.APPROVED: "Approved",
    State.SCHEDULED: "Scheduled: approved, waiting for the notice period or acknowledgements",
    State.RELEASED: "Released",
    State.REJECTED: "Rejected",
    State.WITHDRAWN: "Withdrawn",
}


def aware(moment: datetime) -> datetime:
    """A datetime in UTC (SQLite hands back naive ones)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _span(delta: timedelta) -> str:
    seconds = abs(int(delta.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def in_words(moment: datetime | None, now: datetime) -> str:
    """`3 December 2026, 06:27 UTC (in 14 days)`; `not yet` for None.

    >>> in_words(datetime(2026, 1, 2, 3, 4, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    '2 January 2026, 03:04 UTC (in 1 day)'
    """
    if moment is None:
        return "not yet"
    moment, now = aware(moment), aware(now)
    when = f"{moment.day} {moment:%B %Y, %H:%M} UTC"
    delta = moment - now
    if abs(delta) < timedelta(minutes=1):
        return f"{when} (just now)"
    return f"{when} ({'in ' + _span(delta) if delta > timedelta(0) else _span(delta) + ' ago'})"


def duration_words(text: str) -> str:
    """An ISO 8601 duration in words: `P14D` -> `14 days`."""
    return _span(parse_duration(text))


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """One row of the diff table."""

    kind: str
    table: str
    column: str | None
    before: str | None
    after: str | None
    verdict: str
    writer_verdict: str | None
    reason: str

    @property
    def target(self) -> str:
        """What the change is about: `table.column`, or the table."""
        return f"{self.table}.{self.column}" if self.column else self.table

    @property
    def keys(self) -> tuple[str, ...]:
        """The `table.column` names it concerns (the table alone for a whole-table change)."""
        return (self.target,) if self.column else (self.table,)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def change_lines(changes: Sequence[dict[str, Any]]) -> list[ChangeLine]:
    """The change request's changes, breaking first, then unknown, then compatible."""
    lines = [
        ChangeLine(
            kind=str(c.get("kind", "")),
            table=str(c.get("table", "")),
            column=_text(c.get("column")),
            before=_text(c.get("before")),
            after=_text(c.get("after")),
            verdict=str(c.get("verdict", "unknown")),
            writer_verdict=_text(c.get("writer_verdict")),
            reason=str(c.get("reason", "")),
        )
        for c in changes
    ]
    return sorted(lines, key=lambda line: VERDICT_ORDER.get(line.verdict, 1))


@dataclass(frozen=True, slots=True)
class Reach:
    """Someone a change reaches: a subscription's consumer or a downstream product."""

    who: str
    kind: str  # "subscription" or "product"
    columns: tuple[str, ...]
    changes: tuple[str, ...]
    breaking: bool
    owners: tuple[str, ...] = ()
    via: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LineageObject:
    """Another reader lineage found (a view, a dbt model or exposure, a job), with its path."""

    name: str
    kind: str
    depth: int
    path: tuple[str, ...]
    stops_working: bool
    product: str | None
    contacts: tuple[str, ...] = ()
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class ImpactView:
    """The impact of a change request, shaped for the page and the graph."""

    subscriptions: tuple[Reach, ...]
    products: tuple[Reach, ...]
    lineage: tuple[LineageObject, ...]
    consumers: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing and nobody reached."""
        return not (self.subscriptions or self.products or self.lineage)


def impact_view(impact: Impact) -> ImpactView:
    """The change request's Impact as the page lists it: subscriptions, products, other readers."""
    subs = tuple(
        Reach(s.consumer, "subscription", s.columns, s.changes, s.breaking)
        for s in impact.subscriptions
    )
    products = tuple(
        Reach(p.product, "product", p.columns, p.changes, p.breaking, p.owners, p.via)
        for p in impact.downstream_products
    )
    others = tuple(
        LineageObject(r.name, r.kind, r.depth, r.path, r.stops_working, r.product, r.emails)
        for r in impact.readers
        if r.subscription is None and r.product is None
    )
    return ImpactView(subs, products, others, impact.consumers, impact.warnings)


@dataclass(frozen=True, slots=True)
class ColumnRow:
    """One row of a product's schema table."""

    table: str
    name: str
    type: str
    nullable: bool
    key: str
    description: str


def schema_rows(schema: Schema, dialect: str) -> list[ColumnRow]:
    """The schema as table rows, types rendered in the product's dialect."""
    rows: list[ColumnRow] = []
    for table in schema.tables:
        unique = {c for u in table.uniques for c in u}
        for column in table.columns:
            key = (
                "primary key"
                if column.name in table.primary_key
                else "unique"
                if column.name in unique
                else ""
            )
            rows.append(
                ColumnRow(
                    table.name,
                    column.name,
                    render_type(column.type, dialect),
                    column.nullable,
                    key,
                    column.comment or "",
                )
            )
    return rows


@dataclass(frozen=True, slots=True)
class Moment:
    """One entry of a change request's timeline."""

    at: datetime | None
    what: str
    detail: str = ""
    state: str = ""  # a notice's delivery state, for colour


def roles(product: Product, email: str) -> set[str]:
    """`owner` and/or `maintainer` for this person on this product."""
    found = {"owner"} if email in product.owners else set()
    return found | ({"maintainer"} if email in product.maintainers else set())


def may_acknowledge(cr: ChangeRequest, email: str) -> bool:
    """Whether the change reaches this person (as a consumer or a downstream owner), still open."""
    if cr.state not in (State.PROPOSED, State.APPROVED, State.SCHEDULED):
        return False
    if email in cr.acknowledged_by:
        return False
    impact = impact_view(cr.impact)
    reached = {s.who for s in impact.subscriptions} | {o for p in impact.products for o in p.owners}
    return email in cr.awaiting_acknowledgement or email in reached
