"""Connections the database dropped (a PostgreSQL restart) cost no request an error.

Reads of single statements (the token check behind every route, `GET /products/{name}`) run
on a pool without the pre-ping round trip and replace a dead connection when they meet
one; sessions (writes, longer reads) keep the pre-ping. Here every server process of the
test's database is terminated, as a restart would, between requests.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, make_url, text

from tests.integration.conftest import ORDERS_COMPATIBLE, Org

#: PostgreSQL only: SQLite has no server to lose connections to
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _terminate_backends(database_url: str) -> int:
    """Terminate every server process connected to the test's database; how many."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            return len(
                c.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": url.database},
                ).all()
            )
    finally:
        admin.dispose()


def test_requests_after_the_databases_connections_were_dropped_succeed(
    org: Org, database_url: str
) -> None:
    org.register()
    # fill both pools: single-statement reads and sessions
    assert org.get("consumer", "/products/sales.orders").status_code == 200
    assert org.get("owner", "/change-requests").status_code == 200

    assert _terminate_backends(database_url) >= 2
    product = org.get("consumer", "/products/sales.orders")
    assert product.status_code == 200, product.text
    assert product.json()["current_version"] == "1.0.0"

    assert _terminate_backends(database_url) >= 1
    listed = org.get("owner", "/change-requests")  # the token check, then a session
    assert listed.status_code == 200, listed.text

    assert _terminate_backends(database_url) >= 1
    proposed = org.propose(ORDERS_COMPATIBLE)  # a write
    assert proposed.status_code == 201, proposed.text
    assert org.get("owner", f"/change-requests/{proposed.json()['id']}").status_code == 200


def test_a_read_that_fails_for_another_reason_is_not_repeated(app: FastAPI) -> None:
    calls = []

    def work(connection: object) -> None:
        calls.append(connection)
        raise LookupError("not a lost connection")

    with pytest.raises(LookupError):
        app.state.steward.db.read(work)
    assert len(calls) == 1
