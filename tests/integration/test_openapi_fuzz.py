"""schemathesis against the OpenAPI schema: bounded, derandomized; no 500s, responses conform."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api import create_app
from service.settings import Settings
from tests.integration.conftest import ORDERS_COMPATIBLE, Clock, Org

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_app(tmp_path: Path) -> Iterator[FastAPI]:
    """The API on a SQLite database (the contract does not depend on the database)."""
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'fuzz.db'}", scheduler=False), clock=Clock()
    )
    yield app
    app.state.steward.db.dispose()


@pytest.fixture
def fuzz_schema(fuzz_app: FastAPI) -> Any:
    """The app's OpenAPI schema, for schemathesis."""
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@pytest.fixture
def fuzz_org(fuzz_app: FastAPI) -> Org:
    """An organisation with a product, a subscription and an open change request."""
    from fastapi.testclient import TestClient

    from service.usecases.auth import create_token

    with fuzz_app.state.steward.db.writing() as session:
        admin = create_token(session, email="admin@example.com", admin=True, now=Clock()())[1]
        owner = create_token(session, email="owner@example.com", now=Clock()())[1]
    org = Org(TestClient(fuzz_app), {"admin": admin, "owner": owner})
    org.register()
    org.post("admin", "/products/sales.orders/subscriptions", {})
    org.propose(ORDERS_COMPATIBLE)
    return org


def test_no_request_makes_the_api_fail_or_break_its_schema(fuzz_schema: Any, fuzz_org: Org) -> None:
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    assert len(operations) >= 20
    headers = fuzz_org.h("admin")

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
