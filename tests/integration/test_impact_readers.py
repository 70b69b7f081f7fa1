"""Every kind of reader through the API, on SQLite and PostgreSQL: subscriptions (by columns
and by SQL), a downstream product, a view, a dbt model and its exposure (a Snowflake
manifest), OpenLineage jobs (Postgres namespaces). A hinted column or table rename reaches
exactly the readers of the old name, a constraint change exactly the readers of its
columns, and the notices queued go to exactly the contacts of the readers reached."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from service.notice_messages import build_message
from service.store.tables import NoticeRow
from tests.integration.conftest import Clock, Org

ORDERS = (
    "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, amount NUMERIC(12,2) NOT NULL, status TEXT)"
)
EXPOSURE_OWNER = "bi-team@example.com"
JOB_OWNER = "etl-lead@example.com"
IDS_JOB_OWNER = "ids-owner@example.com"

#: A Snowflake project: a model reading `amount`, an exposure on it, a model reading `status`.
MANIFEST: dict[str, Any] = {
    "metadata": {"adapter_type": "snowflake", "project_name": "wh"},
    "sources": {
        "source.wh.shop.orders": {
            "resource_type": "source",
            "name": "orders",
            "relation_name": "shop.orders",
            "columns": {},
        }
    },
    "nodes": {
        "model.wh.order_amounts": {
            "resource_type": "model",
            "name": "order_amounts",
            "relation_name": "mart.order_amounts",
            "compiled_code": "select id, amount from shop.orders",
            "depends_on": {"nodes": ["source.wh.shop.orders"]},
            "columns": {},
        },
        "model.wh.order_states": {
            "resource_type": "model",
            "name": "order_states",
            "relation_name": "mart.order_states",
            "compiled_code": "select status from shop.orders",
            "depends_on": {"nodes": ["source.wh.shop.orders"]},
            "columns": {},
        },
    },
    "exposures": {
        "exposure.wh.revenue_dashboard": {
            "name": "revenue_dashboard",
            "owner": {"name": "BI", "email": EXPOSURE_OWNER},
            "depends_on": {"nodes": ["model.wh.order_amounts"]},
        }
    },
}


def _job(name: str, column: str, output: str, owner: str) -> dict[str, Any]:
    """A Postgres job reading one column of shop.orders into OUTPUT, owned by OWNER."""
    pg = "postgres://db:5432"
    field = {"namespace": pg, "name": "shop.orders", "field": column}
    return {
        "eventType": "COMPLETE",
        "run": {"runId": name},
        "job": {
            "namespace": "etl",
            "name": name,
            "facets": {"ownership": {"owners": [{"name": f"user:{owner}", "type": "MAINTAINER"}]}},
        },
        "inputs": [{"namespace": pg, "name": "shop.orders"}],
        "outputs": [
            {
                "namespace": pg,
                "name": output,
                "facets": {"columnLineage": {"fields": {column: {"inputFields": [field]}}}},
            }
        ],
    }


def _setup(org: Org) -> None:
    org.register(schema=ORDERS)
    subscribe = "/products/sales.orders/subscriptions"
    assert org.post("consumer", subscribe, {"columns": ["amount"]}).status_code == 201
    by_sql = {"sql": "SELECT id FROM shop.orders WHERE status = 'open'"}
    assert org.post("consumer2", subscribe, by_sql).status_code == 201
    org.register(
        name="analytics.revenue",
        schema="CREATE TABLE analytics.revenue (id BIGINT, revenue NUMERIC(12,2))",
        owners=["other-owner@example.com"],
        sql="SELECT id, amount AS revenue FROM shop.orders",
    )
    views = [
        ("finance.big", "CREATE VIEW finance.big AS SELECT id FROM shop.orders WHERE amount > 9"),
        ("ops.open", "CREATE VIEW ops.open AS SELECT status FROM shop.orders"),
    ]
    for name, sql in views:
        body = {"name": name, "sql": sql, "dialect": "postgres"}
        assert org.post("admin", "/lineage/sql", body).status_code == 201
    assert org.post("admin", "/lineage/dbt", MANIFEST).status_code == 201
    for event in (
        _job("amounts_daily", "amount", "etl.amounts_daily", JOB_OWNER),
        _job("ids_daily", "id", "etl.ids_daily", IDS_JOB_OWNER),
    ):
        assert org.post("admin", "/api/v1/lineage", event).status_code == 201


def _propose(org: Org, schema: str, renames: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] = {"schema": schema, "summary": "change", "renames": renames or {}}
    response = org.post("owner", "/products/sales.orders/change-requests", body)
    assert response.status_code == 201, response.text
    return response.json()


def _readers(cr: Any) -> dict[str, tuple[str, list[str]]]:
    """Reader name -> (kind, emails told)."""
    return {
        r["name"]: (r["kind"], sorted(c["email"] for c in r["contacts"]))
        for r in cr["impact"]["readers"]
    }


def _queued(app: FastAPI, cr_id: int, kind: str) -> set[str]:
    with app.state.steward.db.reading() as session:
        rows = session.scalars(
            select(NoticeRow).where(NoticeRow.change_request_id == cr_id, NoticeRow.kind == kind)
        ).all()
        return {r.recipient for r in rows}


#: The readers of `amount` and who is told of each.
AMOUNT_READERS = {
    "subscription:1": ("subscription", ["consumer@example.com"]),
    "analytics.revenue": ("product", ["other-owner@example.com"]),
    "finance.big": ("view", ["owner@example.com"]),
    "MART.ORDER_AMOUNTS": ("model", ["owner@example.com"]),
    "revenue_dashboard": ("exposure", [EXPOSURE_OWNER]),
    "etl/amounts_daily": ("job", [JOB_OWNER]),
}


def test_a_hinted_column_rename_reaches_every_kind_of_reader_of_the_old_name(
    org: Org, app: FastAPI
) -> None:
    _setup(org)
    cr = _propose(org, ORDERS.replace("amount", "amount_eur"), {"shop.orders.amount": "amount_eur"})
    assert cr["breaking"] is True
    assert _readers(cr) == AMOUNT_READERS
    told = {e for _, emails in AMOUNT_READERS.values() for e in emails}
    assert set(cr["impact"]["recipients"]) == told
    assert _queued(app, cr["id"], "proposed") == told
    warnings = cr["impact"]["warnings"]
    assert any("view finance.big has no known contact" in w for w in warnings)
    approved = org.post("owner", f"/change-requests/{cr['id']}/approve").json()
    assert approved["state"] == "scheduled"
    assert _queued(app, cr["id"], "deprecation") == told


def test_a_hinted_table_rename_reaches_every_reader_of_the_old_table(org: Org) -> None:
    _setup(org)
    cr = _propose(
        org, ORDERS.replace("shop.orders", "shop.orders_v2"), {"shop.orders": "shop.orders_v2"}
    )
    readers = _readers(cr)
    assert set(readers) == set(AMOUNT_READERS) | {
        "subscription:2",
        "ops.open",
        "MART.ORDER_STATES",
        "etl/ids_daily",
    }
    assert readers["etl/ids_daily"] == ("job", [IDS_JOB_OWNER])
    assert readers["subscription:2"] == ("subscription", ["consumer2@example.com"])


def test_a_constraint_change_reaches_exactly_the_readers_of_its_columns(org: Org) -> None:
    _setup(org)
    cr = _propose(org, ORDERS.replace(" PRIMARY KEY", ""))
    # id is read by consumer2's SQL, the revenue product, the amounts model, finance.big
    # (which projects it) and the ids job; nobody reading only amount or status hears.
    assert set(_readers(cr)) == {
        "subscription:2",
        "analytics.revenue",
        "finance.big",
        "MART.ORDER_AMOUNTS",
        "revenue_dashboard",
        "etl/ids_daily",
    }


def test_a_snowflake_manifest_and_postgres_jobs_both_stay_visible(org: Org) -> None:
    _setup(org)
    cr = _propose(org, ORDERS.replace(", status TEXT", ""))
    readers = _readers(cr)
    assert {"MART.ORDER_STATES", "ops.open", "subscription:2"} <= set(readers)
    cr2 = org.post("owner", f"/change-requests/{cr['id']}/withdraw").json()
    assert cr2["state"] == "withdrawn"
    dropped = _propose(org, ORDERS.replace("amount NUMERIC(12,2) NOT NULL, ", ""))
    assert {"MART.ORDER_AMOUNTS", "etl/amounts_daily"} <= set(_readers(dropped))


def test_each_contact_s_notice_names_its_readers_and_only_the_changes_reaching_them(
    org: Org, app: FastAPI, clock: Clock
) -> None:
    _setup(org)
    # status is dropped and amount renamed: the amounts job hears only of the rename.
    new = ORDERS.replace("amount", "amount_eur").replace(", status TEXT", "")
    cr = _propose(org, new, {"shop.orders.amount": "amount_eur"})
    kinds = [c["kind"] for c in cr["changes"]]
    with app.state.steward.db.reading() as session:
        rows = session.scalars(
            select(NoticeRow).where(NoticeRow.change_request_id == cr["id"])
        ).all()
        messages = {
            r.recipient: build_message(
                session, r, now=clock(), public_url="http://steward", webhook_secret="s"
            )
            for r in rows
        }
    job = messages[JOB_OWNER]
    assert job.touched == ("etl/amounts_daily (reads shop.orders.amount)",)
    assert [c.kind for c in job.changes] == ["column_renamed"]
    owner = messages["owner@example.com"]  # told of the readers with no contact of their own
    assert "finance.big (reads shop.orders.amount)" in owner.touched
    assert "ops.open (reads shop.orders.status)" in owner.touched
    assert sorted(c.kind for c in owner.changes) == sorted(kinds)
    consumer = messages["consumer@example.com"]
    assert consumer.touched == ("shop.orders.amount",)
    assert [c.kind for c in consumer.changes] == ["column_renamed"]


def test_the_subscriptions_reached_follow_the_store_between_proposals(org: Org) -> None:
    org.register(schema=ORDERS)
    drop_amount = ORDERS.replace("amount NUMERIC(12,2) NOT NULL, ", "")
    subscribe = "/products/sales.orders/subscriptions"
    first = org.post("consumer", subscribe, {"columns": ["amount"]}).json()
    cr = _propose(org, drop_amount)
    assert cr["impact"]["recipients"] == ["consumer@example.com"]
    org.post("owner", f"/change-requests/{cr['id']}/withdraw")
    deleted = org.client.delete(f"/subscriptions/{first['id']}", headers=org.h("consumer"))
    assert deleted.status_code == 204
    org.post("consumer", subscribe, {"columns": ["status"]})
    cr = _propose(org, drop_amount)
    assert cr["impact"]["readers"] == []
    org.post("owner", f"/change-requests/{cr['id']}/withdraw")
    org.post("consumer2", subscribe, {})
    cr = _propose(org, drop_amount)
    assert cr["impact"]["recipients"] == ["consumer2@example.com"]


def test_a_proposal_s_answer_is_its_impact_as_stored(org: Org) -> None:
    """The proposal answers with the impact it computed (not read back from the store): it is
    the one a later read of the change request gives, every reader and view of it alike."""
    _setup(org)
    new = ORDERS.replace("amount", "amount_eur").replace(", status TEXT", "")
    cr = _propose(org, new, {"shop.orders.amount": "amount_eur"})
    assert len(cr["impact"]["readers"]) >= 8 and cr["impact"]["subscriptions"]
    stored = org.get("owner", f"/change-requests/{cr['id']}")
    assert stored.status_code == 200
    assert stored.json()["impact"] == cr["impact"]
    assert stored.json() == cr
