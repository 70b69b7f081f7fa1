"""The migration path through the API and the notices, on SQLite and PostgreSQL.

A change request's answer carries its compatibility views and alternative;
`GET /change-requests/{id}/migration` adds the changes and each subscription's SQL, rewritten
or where it breaks; the deprecation notice gives each recipient their own SQL and the views.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from notifications.render import render_html, render_text
from service.notice_messages import build_message
from service.store.tables import NoticeRow
from tests.integration.conftest import Org

ORDERS = (
    "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, amount NUMERIC(12,2) NOT NULL, status TEXT)"
)
PROPOSED = "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, total NUMERIC(12,2) NOT NULL)"
READS_AMOUNT = "SELECT id, amount\nFROM shop.orders\nWHERE amount > 10"
READS_STATUS = "SELECT id\nFROM shop.orders\nWHERE status = 'open'"


def _propose(org: Org) -> Any:
    org.register(schema=ORDERS)
    for who, sql in (("consumer", READS_AMOUNT), ("consumer2", READS_STATUS)):
        response = org.post(who, "/products/sales.orders/subscriptions", {"sql": sql})
        assert response.status_code == 201, response.text
    body = {
        "schema": PROPOSED,
        "summary": "rename amount",
        "renames": {"shop.orders.amount": "total"},
    }
    response = org.post("owner", "/products/sales.orders/change-requests", body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_change_request_answer_carries_the_views_and_the_alternative(org: Org) -> None:
    cr = _propose(org)
    migration = cr["migration"]
    assert set(migration) == {"compatibility_views", "alternative"}
    (view,) = migration["compatibility_views"]
    assert (view["table"], view["name"]) == ("shop.orders", "shop.orders_v1")
    assert "total AS amount" in view["sql"] and "CAST(NULL AS TEXT) AS status" in view["sql"]
    assert view["warnings"] == [
        "column status was removed from shop.orders: the view returns NULL for it"
    ]
    alternative = migration["alternative"]
    assert "amount NUMERIC(12,2) NOT NULL" in alternative["schema"]
    assert {n["column"] for n in alternative["notes"]} == {"amount", "status"}
    again = org.get("consumer", f"/change-requests/{cr['id']}").json()
    assert again["migration"] == migration


def test_the_migration_route_rewrites_each_subscription_or_names_its_breaking_line(
    org: Org,
) -> None:
    cr = _propose(org)
    response = org.get("owner", f"/change-requests/{cr['id']}/migration")
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data) == {"changes", "compatibility_views", "alternative", "consumers"}
    assert [c["kind"] for c in data["changes"]] == ["column_renamed", "column_removed"]
    rewritten, broken = data["consumers"]
    assert (rewritten["consumer"], rewritten["status"]) == ("consumer@example.com", "rewritten")
    assert "total AS amount" in rewritten["sql"] and "total > 10" in rewritten["sql"]
    assert (broken["consumer"], broken["status"], broken["sql"]) == (
        "consumer2@example.com",
        "breaks",
        None,
    )
    assert [(b["line"], b["column"]) for b in broken["breaks"]] == [(3, "status")]
    # A consumer sees only their own SQL: another's query is not theirs to read.
    own = org.get("consumer", f"/change-requests/{cr['id']}/migration").json()
    assert [c["consumer"] for c in own["consumers"]] == ["consumer@example.com"]
    assert own["compatibility_views"] == data["compatibility_views"]


def test_the_migration_route_answers_404_and_401_in_the_error_shape(org: Org) -> None:
    missing = org.get("consumer", "/change-requests/999/migration")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert org.get(None, "/change-requests/1/migration").status_code == 401


def test_the_deprecation_notice_gives_each_recipient_their_own_sql_and_the_view(
    org: Org, app: FastAPI
) -> None:
    cr = _propose(org)
    assert org.post("owner", f"/change-requests/{cr['id']}/approve").status_code == 200
    with app.state.steward.db.reading() as session:
        rows = session.scalars(
            select(NoticeRow).where(
                NoticeRow.change_request_id == cr["id"], NoticeRow.kind == "deprecation"
            )
        ).all()
        messages = {
            r.recipient: build_message(
                session, r, now=app.state.steward.clock(), public_url="http://x", webhook_secret="s"
            )
            for r in rows
        }
    mine = messages["consumer@example.com"]
    text, html = render_text(mine), render_html(mine)
    for body, greater in ((text, ">"), (html, "&gt;")):
        assert "shop.orders_v1" in body and "total AS amount" in body
        assert "rewritten" in body and f"total {greater} 10" in body
    theirs = render_text(messages["consumer2@example.com"])
    assert "breaks at line 3: status:" in theirs
    assert "total > 10" not in theirs  # another consumer's SQL is not theirs to read


def test_subscriptions_sharing_one_query_each_get_its_rewrite(org: Org) -> None:
    cr = _propose(org)
    same = org.post("other_owner", "/products/sales.orders/subscriptions", {"sql": READS_AMOUNT})
    assert same.status_code == 201, same.text
    data = org.get("owner", f"/change-requests/{cr['id']}/migration").json()
    by_consumer = {c["consumer"]: c for c in data["consumers"]}
    assert set(by_consumer) == {
        "consumer@example.com", "consumer2@example.com", "other-owner@example.com"
    }  # fmt: skip
    mine, theirs = by_consumer["consumer@example.com"], by_consumer["other-owner@example.com"]
    assert theirs["status"] == "rewritten" and theirs["sql"] == mine["sql"]
    assert theirs["subscription"] != mine["subscription"]
