"""Migration 0009 on SQLite and PostgreSQL: webhook errors stored before the scrub (the
receiver's reason phrase and the first 200 characters of its reply) are rewritten to the form
the code now writes, Steward's own words and e-mail errors stay, and neither the API nor the
console shows a receiver's reply afterwards."""

from __future__ import annotations

from alembic import command
from fastapi import FastAPI
from sqlalchemy import select

from notifications.webhook import status_detail
from service.store.db import alembic_config
from service.store.tables import NoticeRow
from tests.integration.conftest import ORDERS_BREAKING, Org
from tests.integration.test_console_forms import signed_in

SECRET = "s3cr3t-from-the-receiver"
#: (channel, last_error as an older release stored it, what 0009 leaves)
STORED = [
    ("webhook", f"500 Internal Server Error: {{'token': '{SECRET}'}}", "500 Internal Server Error"),
    ("webhook", f"404 {SECRET}", "404 Not Found"),
    ("webhook", f"503 Service Unavailable: <html>{SECRET}" + "x" * 200, "503 Service Unavailable"),
    ("webhook", "429 Too Many Requests", "429 Too Many Requests"),
    ("webhook", "refused: 10.0.0.1 is a private address", "refused: 10.0.0.1 is a private address"),
    (
        "webhook",
        "ConnectError: [Errno 111] Connection refused",
        "ConnectError: [Errno 111] Connection refused",
    ),
    ("email", "421 4.7.0 Try again later", "421 4.7.0 Try again later"),
]


def test_migration_0009_keeps_only_the_receivers_status(app: FastAPI, org: Org) -> None:
    org.register()
    assert (
        org.post(
            "consumer", "/products/sales.orders/subscriptions", {"columns": ["amount"]}
        ).status_code
        == 201
    )
    cr = org.propose(ORDERS_BREAKING).json()
    db = app.state.steward.db
    with db.writing() as session:
        model = session.scalars(
            select(NoticeRow).where(NoticeRow.change_request_id == cr["id"])
        ).first()
        assert model is not None
        for n, (channel, error, _) in enumerate(STORED):
            session.add(
                NoticeRow(
                    change_request_id=cr["id"],
                    recipient_id=model.recipient_id,
                    recipient=model.recipient
                    if channel == "email"
                    else f"https://hooks.example.com/{n}",
                    channel=channel,
                    kind=model.kind,
                    due_at=model.due_at,
                    state="failed",
                    attempts=3,
                    last_error=error,
                    message_id=f"<old-{n}@steward>",
                    created_at=model.created_at,
                )
            )
    # the store as an older release left it, then this release's migrations
    command.downgrade(alembic_config(db.engine), "0008")
    command.upgrade(alembic_config(db.engine), "head")
    with db.reading() as session:
        found = {
            r.message_id: r.last_error
            for r in session.scalars(select(NoticeRow).where(NoticeRow.message_id.like("<old-%")))
        }
    assert [found[f"<old-{n}@steward>"] for n in range(len(STORED))] == [
        safe for _, _, safe in STORED
    ]
    assert status_detail(500) == STORED[0][2]  # what a webhook send writes today

    answer = org.get("owner", f"/change-requests/{cr['id']}/notices")
    assert answer.status_code == 200
    assert SECRET not in answer.text
    shown = {n["last_error"] for n in answer.json()}
    assert {safe for _, _, safe in STORED} <= shown
    client, _ = signed_in(org, "owner")
    page = client.get(f"/ui/change-requests/{cr['id']}").text
    assert SECRET not in page and "500 Internal Server Error" in page
