"""What a proposal writes, read back from the store in a new session: one outbox row per
recipient (written by one INSERT ... SELECT over a JSON list, so each column is checked
here as the scheduler reads it) and the impact (serialised once by pydantic) as stored JSON."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from service.impact import Impact
from service.store.tables import ChangeRequestRow, NoticeRow, PrincipalRow
from tests.integration.conftest import ORDERS_BREAKING, Clock, Org

CONSUMERS = ("consumer", "consumer2")


def _subscribe(org: Org, who: str, body: dict[str, Any]) -> int:
    response = org.post(who, "/products/sales.orders/subscriptions", body)
    assert response.status_code == 201, response.text
    sub_id: int = response.json()["id"]
    return sub_id


def _proposal(org: Org) -> dict[str, Any]:
    org.register()
    _subscribe(org, "consumer", {"columns": ["amount"]})
    hook = {"columns": ["amount"], "channels": ["email", "https://hooks.example.com/steward"]}
    _subscribe(org, "consumer2", hook)
    response = org.propose(ORDERS_BREAKING, who="maintainer")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_recipient_gets_one_outbox_row_with_every_column(
    app: FastAPI, org: Org, clock: Clock
) -> None:
    cr = _proposal(org)
    with app.state.steward.db.reading() as session:
        rows = session.scalars(
            select(NoticeRow).where(NoticeRow.change_request_id == cr["id"]).order_by(NoticeRow.id)
        ).all()
        session.expunge_all()  # read as loaded: the block's end expires nothing then
        ids = dict(session.execute(select(PrincipalRow.email, PrincipalRow.id)).all())
    proposed = [r for r in rows if r.kind == "proposed"]
    assert sorted((r.channel, r.recipient) for r in proposed) == [
        ("email", "consumer2@example.com"),
        ("email", "consumer@example.com"),
        ("webhook", "https://hooks.example.com/steward"),
    ]
    review = [r for r in rows if r.kind == "review"]  # the owner, not the maintainer proposing
    assert [(r.channel, r.recipient) for r in review] == [("email", "owner@example.com")]
    for row in proposed:
        consumer = "consumer2@example.com" if row.channel == "webhook" else row.recipient
        assert row.recipient_id == ids[consumer]
    for row in rows:
        assert row.state == "pending"
        assert row.attempts == 0
        assert row.due_at == row.next_attempt_at == row.created_at == clock()
        assert row.due_at.tzinfo is not None
        assert row.delivered_at is None and row.lease_until is None and row.last_error is None
    numbers = []
    for row in proposed:
        found = re.fullmatch(
            rf"<([0-9a-f]{{32}})\.(\d+)\.cr{cr['id']}\.proposed@steward>", row.message_id
        )
        assert found, row.message_id
        numbers.append(int(found.group(2)))
    assert sorted(numbers) == [0, 1, 2]  # one batch, numbered from 0
    assert len({r.message_id for r in rows}) == len(rows)
    assert review[0].note is None and review[0].note_author == "maintainer@example.com"


def test_the_stored_impact_is_the_answers(app: FastAPI, org: Org) -> None:
    cr = _proposal(org)
    with app.state.steward.db.reading() as session:
        stored = session.scalars(
            select(ChangeRequestRow.impact).where(ChangeRequestRow.id == cr["id"])
        ).one()
    assert isinstance(stored, dict)  # JSON, read back as JSON, not a string
    impact = Impact.model_validate(stored)
    assert stored == impact.to_stored()
    assert set(stored) == {"readers", "warnings"}  # the derived views are not stored
    answered = cr["impact"]
    assert sorted(s["consumer"] for s in answered["subscriptions"]) == [
        "consumer2@example.com",
        "consumer@example.com",
    ]
    assert [r.model_dump(mode="json") for r in impact.readers] == answered["readers"]


def test_the_proposals_answer_is_what_a_later_read_shows(app: FastAPI, org: Org) -> None:
    """The proposal answers without reading acknowledgements or deprecation notices (it has
    none yet): its dates, acknowledgements and who is awaited are what reading it shows."""
    cr = _proposal(org)
    response = org.get("maintainer", f"/change-requests/{cr['id']}")
    assert response.status_code == 200, response.text
    read = response.json()
    for key in ("earliest_effective_at", "acknowledged_by", "awaiting_acknowledgement"):
        assert read[key] == cr[key], key
    assert cr["earliest_effective_at"] is None  # no deprecation notice delivered yet
    assert sorted(cr["awaiting_acknowledgement"]) == [
        "consumer2@example.com",
        "consumer@example.com",
    ]
    assert cr["acknowledged_by"] == []
