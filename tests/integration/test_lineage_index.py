"""The app's lineage index on SQLite and PostgreSQL: a refresh inside a transaction that is
rolled back (a release re-diffing the other open change request) leaves nothing behind, even
when a later version takes the rolled-back row's id (SQLite hands ids out again)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from service.store.tables import ProductRow, VersionRow
from service.usecases.lineage import LineageIndex
from tests.integration.conftest import ORDERS_COMPATIBLE, ORDERS_V1, Clock, Org


class RolledBack(Exception):
    """Raised to roll a writing block back."""


def _version(session: object, product: ProductRow, minor: int, source: str, clock: Clock) -> None:
    session.add(  # type: ignore[attr-defined]
        VersionRow(
            product_id=product.id,
            major=1,
            minor=minor,
            patch=0,
            schema_json={},
            source=source,
            published_at=clock(),
        )
    )
    session.flush()  # type: ignore[attr-defined]


def test_a_refresh_of_uncommitted_rows_is_undone_by_the_next_refresh_after_a_rollback(
    org: Org, app: FastAPI, clock: Clock
) -> None:
    org.register()
    db = app.state.steward.db
    index = LineageIndex()
    with db.reading() as session:
        index.refresh(session)
    assert index.columns_of("shop.orders") == ["id", "customer_id", "amount", "note"]

    with pytest.raises(RolledBack), db.writing() as session:
        product = session.scalars(select(ProductRow)).one()
        _version(session, product, 1, ORDERS_COMPATIBLE, clock)  # adds `channel`
        index.refresh(session, committed=False)
        assert index.columns_of("shop.orders") == [
            "id",
            "customer_id",
            "amount",
            "note",
            "channel",
        ]
        raise RolledBack

    # Another 1.1.0 is committed (on SQLite with the rolled-back row's id): the store's
    # generation is the one the uncommitted refresh saw, yet the index follows the store.
    other = ORDERS_V1.replace("  note VARCHAR(100)\n", "  note VARCHAR(100),\n  region TEXT\n")
    with db.writing() as session:
        product = session.scalars(select(ProductRow)).one()
        _version(session, product, 1, other, clock)
    with db.reading() as session:
        index.refresh(session)
    assert index.columns_of("shop.orders") == ["id", "customer_id", "amount", "note", "region"]
