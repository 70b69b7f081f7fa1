"""`GET /products/{name}` reads the caller's token and the product in one statement: each
way the two can fail answers as the token check and the product read answer apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Connection

from service.store import queries as q
from service.usecases.auth import create_token
from tests.integration.conftest import Clock, Org


def _error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    error: dict[str, object] = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    return error


def test_the_product_with_its_people_in_order(org: Org) -> None:
    org.register(owners=["owner@example.com", "co-owner@example.com"])
    body = org.get("consumer", "/products/sales.orders").json()
    assert body["owners"] == ["owner@example.com", "co-owner@example.com"]
    assert body["maintainers"] == ["maintainer@example.com"]
    assert body["current_version"] == "1.0.0"


def test_a_missing_product_is_404_for_a_valid_token(org: Org) -> None:
    org.register()
    error = _error(org.get("consumer", "/products/no.such"), 404)
    assert "no.such" in str(error["message"])


def test_a_bad_token_is_401_before_a_missing_product_is_named(org: Org) -> None:
    org.register()
    headers = {"Authorization": "Bearer not-a-token"}
    for path in ("/products/sales.orders", "/products/no.such"):
        error = _error(org.client.get(path, headers=headers), 401)
        assert error["message"] == "the bearer token is not valid"
    assert "required" in str(_error(org.client.get("/products/no.such"), 401)["message"])


def test_a_revoked_or_expired_token_is_401(app: FastAPI, org: Org, clock: Clock) -> None:
    org.register()
    with app.state.steward.db.writing() as session:
        _, expiring = create_token(
            session, email="late@example.com", now=clock(), expires_at=clock() + timedelta(hours=1)
        )
    late = {"Authorization": f"Bearer {expiring}"}
    assert org.client.get("/products/sales.orders", headers=late).status_code == 200
    clock.advance(hours=2)
    error = _error(org.client.get("/products/sales.orders", headers=late), 401)
    assert error["message"] == "the bearer token has expired"

    (token,) = org.get("consumer2", "/tokens").json()
    assert (
        org.client.delete(f"/tokens/{token['id']}", headers=org.h("consumer2")).status_code == 200
    )
    error = _error(org.get("consumer2", "/products/sales.orders"), 401)
    assert error["message"] == "the bearer token is not valid"


def test_the_drivers_plain_read_gives_what_sqlalchemy_reads(app: FastAPI, org: Org) -> None:
    """`plain_rows` reads through the driver's cursor: each column as SQLAlchemy's own types
    give it (UTC-aware timestamps, JSON as Python values), and the same row names."""
    org.register(owners=["owner@example.com", "co-owner@example.com"])
    params = {"token_hash": q.hash_token(org.tokens["consumer"]), "name": "sales.orders"}
    statement = q._PRODUCT_FOR_TOKEN

    def both(connection: Connection) -> tuple[list[Any], list[Any]]:
        return connection.execute(statement, params).all(), q.plain_rows(
            connection, statement, params
        )

    expected, plain = app.state.steward.db.read(both)
    assert [tuple(r) for r in plain] == [tuple(r) for r in expected]
    assert [r._fields for r in plain[:1]] == [tuple(expected[0]._fields)]
    first = plain[0]
    assert first.created_at.tzinfo is not None and first.created_at.utcoffset() == timedelta(0)
    assert isinstance(first.reminders, list) and first.who_email == "consumer@example.com"
    assert [r.email for r in plain] == [
        "owner@example.com",
        "co-owner@example.com",
        "maintainer@example.com",
    ]
