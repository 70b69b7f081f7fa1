"""The three flows through HTTP: subscribe, propose, approve (and what each writes)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select, update

from service.store.tables import AuditRow, NoticeRow, VersionRow
from tests.integration.conftest import (
    ORDERS_BREAKING,
    ORDERS_COMPATIBLE,
    ORDERS_V1,
    Clock,
    Org,
)


def _notices(app: FastAPI, cr_id: int) -> list[tuple[str, str]]:
    with app.state.steward.db.reading() as session:
        rows = session.scalars(select(NoticeRow).where(NoticeRow.change_request_id == cr_id))
        return sorted((r.kind, r.recipient) for r in rows)


def _deliver_deprecations(app: FastAPI, cr_id: int, clock: Clock) -> None:
    with app.state.steward.db.writing() as session:
        session.execute(
            update(NoticeRow)
            .where(NoticeRow.change_request_id == cr_id, NoticeRow.kind == "deprecation")
            .values(state="delivered", delivered_at=clock())
        )


def test_a_registered_product_starts_at_version_1_0_0(org: Org) -> None:
    product = org.register()
    assert product["current_version"] == "1.0.0"
    assert product["owners"] == ["owner@example.com"]
    versions = org.get("consumer", "/products/sales.orders/versions").json()
    assert [v["version"] for v in versions] == ["1.0.0"]


def test_a_version_is_shown_as_ddl_and_json(org: Org) -> None:
    org.register()
    body = org.get("consumer", "/products/sales.orders/versions/1.0.0").json()
    assert body["schema"]["tables"][0]["name"] == "shop.orders"
    assert body["ddl"].startswith("CREATE TABLE shop.orders")
    assert "amount NUMERIC(10,2) NOT NULL" in body["ddl"]


def test_subscribing_with_sql_records_the_columns_the_query_reads(org: Org) -> None:
    org.register()
    response = org.post(
        "consumer",
        "/products/sales.orders/subscriptions",
        {"sql": "SELECT o.id, SUM(o.amount) FROM shop.orders AS o GROUP BY o.id"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["columns"] == ["shop.orders.amount", "shop.orders.id"]
    listed = org.get("owner", "/products/sales.orders/subscriptions").json()
    assert [s["consumer_email"] for s in listed] == ["consumer@example.com"]


def test_a_compatible_change_is_released_on_approval_as_a_minor_version(
    org: Org, app: FastAPI
) -> None:
    org.register()
    org.post("consumer", "/products/sales.orders/subscriptions", {"all_changes": True})
    cr = org.propose(ORDERS_COMPATIBLE).json()
    assert (cr["state"], cr["bump"], cr["breaking"]) == ("proposed", "minor", False)
    approved = org.post("owner", f"/change-requests/{cr['id']}/approve").json()
    assert approved["state"] == "released"
    assert approved["target_version"] == "1.1.0"
    assert org.get("consumer", "/products/sales.orders").json()["current_version"] == "1.1.0"
    assert _notices(app, cr["id"]) == [
        ("proposed", "consumer@example.com"),
        ("released", "consumer@example.com"),
        ("review", "maintainer@example.com"),  # the owner proposed: the maintainer is told
    ]


def test_a_breaking_change_names_the_affected_subscriptions_and_waits_for_notice(
    org: Org, app: FastAPI
) -> None:
    org.register()
    org.post("consumer", "/products/sales.orders/subscriptions", {"columns": ["amount"]})
    org.post("consumer2", "/products/sales.orders/subscriptions", {"columns": ["note"]})
    response = org.propose(ORDERS_BREAKING)
    assert response.status_code == 201, response.text
    cr = response.json()
    assert (cr["bump"], cr["breaking"], cr["earliest_effective_at"]) == ("major", True, None)
    affected = cr["impact"]["subscriptions"]
    assert [(s["consumer"], s["columns"]) for s in affected] == [
        ("consumer@example.com", ["shop.orders.amount"])
    ]
    scheduled = org.post("owner", f"/change-requests/{cr['id']}/approve").json()
    assert scheduled["state"] == "scheduled"
    assert scheduled["earliest_effective_at"] is None  # no deprecation delivered: no clock runs
    assert ("deprecation", "consumer@example.com") in _notices(app, cr["id"])
    early = org.post("owner", f"/change-requests/{cr['id']}/release")
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "invalid_transition"


def test_the_notice_period_counts_from_delivery_of_the_deprecation(
    org: Org, app: FastAPI, clock: Clock
) -> None:
    org.register(notice_period="P14D")
    org.post("consumer", "/products/sales.orders/subscriptions", {})
    cr = org.propose(ORDERS_BREAKING).json()
    org.post("owner", f"/change-requests/{cr['id']}/approve")
    clock.advance(days=3)
    delivered_at = clock()
    _deliver_deprecations(app, cr["id"], clock)
    shown = org.get("consumer", f"/change-requests/{cr['id']}").json()
    assert shown["earliest_effective_at"].startswith(
        (delivered_at.replace(day=delivered_at.day + 14)).strftime("%Y-%m-%dT%H:%M")
    )
    clock.advance(days=13)
    assert org.post("owner", f"/change-requests/{cr['id']}/release").status_code == 409
    clock.advance(days=1)
    released = org.post("owner", f"/change-requests/{cr['id']}/release")
    assert released.status_code == 200, released.text
    assert released.json()["target_version"] == "2.0.0"


def test_the_owner_releases_early_once_every_affected_consumer_acknowledged(org: Org) -> None:
    org.register()
    org.post("consumer", "/products/sales.orders/subscriptions", {"columns": ["amount"]})
    cr = org.propose(ORDERS_BREAKING).json()
    org.post("owner", f"/change-requests/{cr['id']}/approve")
    acked = org.post("consumer", f"/change-requests/{cr['id']}/acknowledge").json()
    assert acked["acknowledged_by"] == ["consumer@example.com"]
    assert acked["awaiting_acknowledgement"] == []
    released = org.post("owner", f"/change-requests/{cr['id']}/release").json()
    assert (released["state"], released["target_version"]) == ("released", "2.0.0")
    versions = org.get("consumer", "/products/sales.orders/versions").json()
    assert [v["version"] for v in versions] == ["1.0.0", "2.0.0"]
    assert versions[0]["sunset_at"] is not None


def test_version_numbers_strictly_increase_across_releases(org: Org) -> None:
    org.register()
    seen = []
    for schema in (ORDERS_COMPATIBLE, ORDERS_COMPATIBLE.replace("VARCHAR(100)", "VARCHAR(200)")):
        cr = org.propose(schema).json()
        seen.append(
            org.post("owner", f"/change-requests/{cr['id']}/approve").json()["target_version"]
        )
    assert seen == ["1.1.0", "1.2.0"]


def test_a_second_open_change_request_is_refused_naming_the_open_one(org: Org) -> None:
    org.register()
    first = org.propose(ORDERS_COMPATIBLE).json()
    second = org.propose(ORDERS_COMPATIBLE.replace("channel TEXT", "channel VARCHAR(10)"))
    assert second.status_code == 409
    assert second.json()["error"]["details"]["open_change_request"] == first["id"]
    assert f"#{first['id']}" in second.json()["error"]["message"]


def test_a_proposal_identical_to_the_current_schema_is_refused(org: Org) -> None:
    org.register()
    response = org.propose(ORDERS_V1.replace("BIGINT", "INT8"))
    assert response.status_code == 422
    assert "no changes" in response.json()["error"]["message"]


def test_rejecting_or_withdrawing_reopens_the_product_for_proposals(org: Org) -> None:
    org.register()
    first = org.propose(ORDERS_COMPATIBLE).json()
    assert org.post("owner", f"/change-requests/{first['id']}/reject").json()["state"] == "rejected"
    second = org.propose(ORDERS_COMPATIBLE, who="maintainer").json()
    withdrawn = org.post("maintainer", f"/change-requests/{second['id']}/withdraw").json()
    assert withdrawn["state"] == "withdrawn"
    assert org.propose(ORDERS_COMPATIBLE).status_code == 201


def test_a_product_requiring_a_second_person_refuses_self_approval(org: Org) -> None:
    org.register(
        require_distinct_approver=True, owners=["owner@example.com", "co-owner@example.com"]
    )
    cr = org.propose(ORDERS_COMPATIBLE).json()
    refused = org.post("owner", f"/change-requests/{cr['id']}/approve")
    assert refused.status_code == 403
    assert org.post("co_owner", f"/change-requests/{cr['id']}/approve").status_code == 200


def test_a_product_defined_by_sql_is_downstream_of_what_it_reads(org: Org) -> None:
    org.register()
    org.register(
        name="analytics.revenue",
        schema="CREATE TABLE analytics.revenue (customer_id BIGINT, revenue DECIMAL(12, 2))",
        owners=["other-owner@example.com"],
        sql="SELECT customer_id, SUM(amount) AS revenue FROM shop.orders GROUP BY customer_id",
    )
    cr = org.propose(ORDERS_BREAKING).json()
    downstream = cr["impact"]["downstream_products"]
    assert [(d["product"], d["columns"]) for d in downstream] == [
        ("analytics.revenue", ["shop.orders.amount"])
    ]
    assert "product:analytics.revenue" in cr["awaiting_acknowledgement"]
    acked = org.post("other_owner", f"/change-requests/{cr['id']}/acknowledge").json()
    assert acked["awaiting_acknowledgement"] == []


def test_every_state_change_is_in_the_audit_log(org: Org, app: FastAPI) -> None:
    org.register()
    cr = org.propose(ORDERS_COMPATIBLE).json()
    org.post("owner", f"/change-requests/{cr['id']}/approve")
    records = org.get("owner", "/audit?product=sales.orders").json()
    actions = [r["action"] for r in reversed(records)]
    assert actions == ["product.register", "change_request.propose", "change_request.approve"]
    assert records[0]["before"] == {"state": "proposed"}
    assert records[0]["after"]["state"] == "released"


def test_a_failed_operation_leaves_nothing_half_written(org: Org, app: FastAPI) -> None:
    org.register()
    with app.state.steward.db.reading() as session:
        before = session.scalar(select(func.count()).select_from(AuditRow))
    bad = org.post(
        "consumer", "/products/sales.orders/subscriptions", {"channels": ["carrier-pigeon"]}
    )
    assert bad.status_code == 422
    assert org.get("owner", "/products/sales.orders/subscriptions").json() == []
    with app.state.steward.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditRow)) == before
        assert session.scalar(select(func.count()).select_from(VersionRow)) == 1


def test_list_change_requests_filters_by_product_and_state(org: Org) -> None:
    org.register()
    cr = org.propose(ORDERS_COMPATIBLE).json()
    found = org.get("consumer", "/change-requests?product=sales.orders&state=proposed").json()
    assert [c["id"] for c in found] == [cr["id"]]
    assert org.get("consumer", "/change-requests?state=released").json() == []


def test_post_diff_answers_like_the_cli_json(org: Org) -> None:
    body: dict[str, Any] = {"old": ORDERS_V1, "new": ORDERS_BREAKING, "dialect": "postgres"}
    response = org.post("consumer", "/diff", body)
    assert response.status_code == 200
    data = response.json()
    assert (data["bump"], data["breaking"]) == ("major", True)
    assert [c["kind"] for c in data["changes"]] == ["column_removed"]
    assert data["warnings"] == []


def test_post_diff_warns_of_a_constraint_on_a_missing_column_and_goes_on(org: Org) -> None:
    new = ORDERS_V1.replace("  note VARCHAR(100)\n", "  note VARCHAR(100),\n  UNIQUE (nope)\n")
    body: dict[str, Any] = {"old": ORDERS_V1, "new": new, "dialect": "postgres"}
    response = org.post("consumer", "/diff", body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["changes"] == []
    assert data["warnings"] == [
        "new: line 6: UNIQUE of table shop.orders names unknown column nope; "
        "the constraint is ignored"
    ]


def test_lineage_inputs_are_stored_for_admins(org: Org) -> None:
    view = {
        "name": "finance.rev",
        "sql": "SELECT id, amount FROM shop.orders",
        "dialect": "postgres",
    }
    assert org.post("admin", "/lineage/sql", view).status_code == 201
    manifest = {"metadata": {"project_name": "shop"}, "nodes": {}}
    assert org.post("admin", "/lineage/dbt", manifest).status_code == 201
    event = {"eventType": "COMPLETE", "job": {"namespace": "ns", "name": "load"}, "run": {}}
    assert org.post("admin", "/api/v1/lineage", event).status_code == 201
    assert org.post("admin", "/api/v1/lineage", {"run": {}}).status_code == 422


def test_lineage_carries_the_impact_through_views_and_products_two_hops_away(org: Org) -> None:
    org.register()
    org.register(
        name="analytics.revenue",
        schema="CREATE TABLE analytics.revenue (customer_id BIGINT, revenue DECIMAL(12, 2))",
        owners=["other-owner@example.com"],
        sql="SELECT customer_id, SUM(amount) AS revenue FROM shop.orders GROUP BY customer_id",
    )
    org.register(
        name="analytics.top_customers",
        schema="CREATE TABLE analytics.top_customers (customer_id BIGINT)",
        owners=["co-owner@example.com"],
        sql="SELECT customer_id FROM analytics.revenue WHERE revenue > 1000",
    )
    view = {
        "name": "finance.big_orders",
        "sql": "CREATE VIEW finance.big_orders AS SELECT id FROM shop.orders WHERE amount > 100",
        "dialect": "postgres",
    }
    assert org.post("admin", "/lineage/sql", view).status_code == 201
    cr = org.propose(ORDERS_BREAKING).json()
    reached = {r["name"] for r in cr["impact"]["readers"]}
    assert {"finance.big_orders", "analytics.revenue", "analytics.top_customers"} <= reached
    products = {d["product"]: d for d in cr["impact"]["downstream_products"]}
    assert set(products) == {"analytics.revenue", "analytics.top_customers"}
    assert products["analytics.top_customers"]["owners"] == ["co-owner@example.com"]
