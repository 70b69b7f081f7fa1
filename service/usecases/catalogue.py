"""The catalogue: find products by name, description, column name or column description."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import Product
from service.store import queries as q
from service.store.tables import ChangeRequestRow, ProductRow
from service.usecases.common import stored_schema

MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class Match:
    """Where a search term was found: `name`, `description`, `column` or `column description`."""

    where: str
    text: str


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A product as the catalogue lists it, with why it matched and its recent activity."""

    product: Product
    matches: tuple[Match, ...]
    last_change: datetime
    open_change_requests: tuple[int, ...]


def _matches(product: Product, source: str, terms: list[str]) -> tuple[Match, ...] | None:
    """Every place a term occurs; None when some term occurs nowhere."""
    found: list[Match] = []
    texts = [("name", product.name), ("description", product.description)]
    for table in stored_schema(source, product.dialect).tables:
        for column in table.columns:
            texts.append(("column", f"{table.name}.{column.name}"))
            if column.comment:
                texts.append(("column description", f"{column.name}: {column.comment}"))
    for term in terms:
        hits = [Match(where, text) for where, text in texts if term in text.lower()]
        if not hits:
            return None
        found += [m for m in hits if m not in found]
    return tuple(found)


def search_products(session: Session, query: str = "") -> list[CatalogueEntry]:
    """Products whose name, description, columns or column descriptions hold every term.

    An empty query lists every product; matching ignores case.
    """
    terms = query.lower()[:MAX_QUERY].split()
    rows = session.scalars(select(ProductRow).order_by(ProductRow.name)).all()
    current = q.current_versions(session, [r.id for r in rows])
    latest: dict[int, datetime] = dict(
        session.execute(
            select(ChangeRequestRow.product_id, func.max(ChangeRequestRow.created_at)).group_by(
                ChangeRequestRow.product_id
            )
        ).all()
    )
    open_ids: dict[int, list[int]] = {}
    for product_id, cr_id in session.execute(
        select(ChangeRequestRow.open_product_id, ChangeRequestRow.id).where(
            ChangeRequestRow.open_product_id.is_not(None)
        )
    ):
        if product_id is not None:
            open_ids.setdefault(product_id, []).append(cr_id)
    entries: list[CatalogueEntry] = []
    for row in rows:
        version = current.get(row.id)
        if version is None:
            continue
        product = q.to_product(row, version)
        matches = _matches(product, version.source, terms) if terms else ()
        if matches is None:
            continue
        changed = max(filter(None, [version.published_at, latest.get(row.id)]))
        entries.append(CatalogueEntry(product, matches, changed, tuple(open_ids.get(row.id, []))))
    return entries
