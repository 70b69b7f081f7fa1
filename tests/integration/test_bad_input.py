"""Bad input on every field: 422 with the one error shape, and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import ORDERS_COMPATIBLE, ORDERS_V1, Org

GOOD_PRODUCT: dict[str, Any] = {
    "name": "sales.orders",
    "description": "Orders",
    "owners": ["owner@example.com"],
    "maintainers": [],
    "dialect": "postgres",
    "schema": ORDERS_V1,
    "notice_period": "P14D",
    "sunset_period": "P30D",
    "require_distinct_approver": False,
    "sql": None,
    "reminders": ["P7D", "P1D"],
}

BAD_PRODUCT = [
    ("name", ""),
    ("name", "has space"),
    ("name", 7),
    ("description", None),
    ("owners", []),
    ("owners", ["not-an-email"]),
    ("owners", "owner@example.com"),
    ("maintainers", [1]),
    ("dialect", "klingon"),
    ("dialect", ""),
    ("schema", ""),
    ("schema", "CREATE TABLE t (a INT,\n  b VARCHAR(10) NOT NULL DEFAULT ("),
    ("schema", "SELECT 1"),
    ("schema", "x" * 30_000),
    ("notice_period", False),
    ("notice_period", "14 days"),
    ("notice_period", "-P1D"),
    ("notice_period", 14),
    ("sunset_period", "P"),
    ("require_distinct_approver", "yes"),
    ("reminders", "P7D"),
    ("reminders", [7]),
    ("reminders", [None]),
    ("reminders", ["7 days"]),
    ("reminders", ["-P1D"]),
    ("reminders", ["P0D"]),
    ("reminders", ["PT0.5S"]),
    ("reminders", ["P99999D"]),
    ("reminders", ["P1D", "PT24H"]),
    ("reminders", ["P1D", "P1D"]),
    ("reminders", [f"P{n}D" for n in range(1, 12)]),
    ("sql", "SELEC FROM"),
    ("sql", ""),
    ("unknown_field", 1),
]


def _assert_error_shape(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    return error


@pytest.mark.parametrize(
    ("field", "value"), BAD_PRODUCT, ids=[f"{f}={v!r}"[:40] for f, v in BAD_PRODUCT]
)
def test_registering_a_product_with_a_bad_field_is_refused(
    org: Org, field: str, value: Any
) -> None:
    body = {**GOOD_PRODUCT, field: value}
    _assert_error_shape(org.post("admin", "/products", body))
    assert org.get("admin", "/products").json() == []


def test_unparsable_ddl_names_dialect_line_and_column(org: Org) -> None:
    body = {
        **GOOD_PRODUCT,
        "schema": "CREATE TABLE t (\n  a INT,\n  b VARCHAR(10) NOT NULL DEFAULT (",
    }
    error = _assert_error_shape(org.post("admin", "/products", body))
    assert error["code"] == "schema_parse_error"
    assert error["details"]["dialect"] == "postgres"
    assert error["details"]["line"] == 3
    assert isinstance(error["details"]["column"], int)


def test_a_missing_body_field_is_named(org: Org) -> None:
    body = {k: v for k, v in GOOD_PRODUCT.items() if k != "owners"}
    error = _assert_error_shape(org.post("admin", "/products", body))
    assert error["code"] == "invalid_input"
    assert error["details"]["errors"][0]["field"] == "owners"


def test_a_name_already_taken_is_a_conflict(org: Org) -> None:
    org.register()
    error = _assert_error_shape(org.post("admin", "/products", GOOD_PRODUCT), 409)
    assert error["code"] == "conflict"


BAD_SUBSCRIPTION = [
    ({"columns": ["no_such_column"]}, "columns"),
    ({"columns": []}, "columns"),
    ({"columns": "amount"}, "columns"),
    ({"columns": ["amount"], "sql": "SELECT amount FROM shop.orders"}, "columns"),
    ({"sql": "SELECT x FROM other.table"}, "sql"),
    ({"sql": "SELEC amount FROM"}, "sql"),
    ({"sql": "SELECT id FROM shop.orders WHERE no_such_column > 0"}, "sql"),
    ({"version": "1.0"}, "version"),
    ({"version": "9.9.9"}, "version"),
    ({"channels": ["fax"]}, "channels"),
    ({"channels": ["ftp://example.com/hook"]}, "channels"),
    ({"all_changes": "true"}, "all_changes"),
    ({"extra": 1}, "extra"),
]


@pytest.mark.parametrize(("body", "field"), BAD_SUBSCRIPTION, ids=[f for _, f in BAD_SUBSCRIPTION])
def test_subscribing_with_a_bad_field_is_refused(
    org: Org, body: dict[str, Any], field: str
) -> None:
    org.register()
    _assert_error_shape(org.post("consumer", "/products/sales.orders/subscriptions", body))
    assert org.get("consumer", "/products/sales.orders/subscriptions").json() == []


BAD_PROPOSAL = [
    {"schema": ORDERS_COMPATIBLE},
    {"summary": "no schema"},
    {"schema": "", "summary": "s"},
    {"schema": "CREATE TABLE (", "summary": "s"},
    {"schema": ORDERS_COMPATIBLE, "summary": ""},
    {"schema": ORDERS_COMPATIBLE, "summary": "s", "renames": {"shop.orders.nope": "x"}},
    {"schema": ORDERS_COMPATIBLE, "summary": "s", "renames": ["a"]},
    {"schema": ORDERS_COMPATIBLE, "summary": "s", "state": "approved"},
    {"schema": 5, "summary": "s"},
]


@pytest.mark.parametrize("body", BAD_PROPOSAL, ids=[str(i) for i in range(len(BAD_PROPOSAL))])
def test_proposing_with_a_bad_field_is_refused(org: Org, body: dict[str, Any]) -> None:
    org.register()
    _assert_error_shape(org.post("owner", "/products/sales.orders/change-requests", body))
    assert org.get("owner", "/change-requests").json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"old": ORDERS_V1, "new": ORDERS_V1},
        {"old": ORDERS_V1, "new": "CREATE TABLE (", "dialect": "postgres"},
        {"old": ORDERS_V1, "new": ORDERS_V1, "dialect": "nope"},
        {"old": ORDERS_V1, "new": ORDERS_V1, "dialect": "postgres", "x": 1},
    ],
)
def test_diffing_bad_input_is_refused(org: Org, body: dict[str, Any]) -> None:
    _assert_error_shape(org.post("consumer", "/diff", body))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/lineage/sql", {"name": "v", "sql": "SELEC", "dialect": "postgres"}),
        ("/lineage/sql", {"name": "v", "sql": "SELECT 1", "dialect": "nope"}),
        ("/lineage/dbt", {"metadata": {}}),
        ("/lineage/dbt", ["not", "an", "object"]),
        ("/api/v1/lineage", {"job": {"namespace": "n"}}),
    ],
)
def test_bad_lineage_input_is_refused(org: Org, path: str, body: Any) -> None:
    _assert_error_shape(org.post("admin", path, body))


def test_unknown_routes_and_ids_use_the_error_shape(org: Org) -> None:
    org.register()
    assert _assert_error_shape(org.get("consumer", "/no/such/route"), 404)["code"] == "not_found"
    assert _assert_error_shape(org.get("consumer", "/products/nope"), 404)["code"] == "not_found"
    assert (
        _assert_error_shape(org.get("consumer", "/change-requests/999"), 404)["code"] == "not_found"
    )
    _assert_error_shape(org.get("consumer", "/change-requests/abc"), 422)
    _assert_error_shape(org.get("consumer", "/change-requests?state=lost"), 422)
    _assert_error_shape(org.client.request("DELETE", "/products", headers=org.h("admin")), 405)
    _assert_error_shape(org.get("consumer", "/products/sales.orders/versions/1.x"), 422)
    _assert_error_shape(org.get("consumer", "/products/sales.orders/versions/3.0.0"), 404)


def test_acting_on_a_closed_change_request_is_a_conflict(org: Org) -> None:
    org.register()
    cr = org.propose(ORDERS_COMPATIBLE).json()
    org.post("owner", f"/change-requests/{cr['id']}/reject")
    error = _assert_error_shape(org.post("owner", f"/change-requests/{cr['id']}/approve"), 409)
    assert error["code"] == "invalid_transition"
