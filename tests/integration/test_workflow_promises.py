"""Promises to consumers through the API on SQLite and PostgreSQL, on a hand-moved clock:
compatible changes beside a scheduled breaking one, dates that never move earlier, 410 after
sunset, no known reader is not no reader, reasons, comments, owners told, stuck approvals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from service.scheduler import NoticeScheduler
from service.settings import Settings

from .conftest import ORDERS_BREAKING, ORDERS_COMPATIBLE, Clock, Org
from .notifications.conftest import RecordingHandler, free_port

# The breaking change with the compatible one folded in (what a team does once both exist).
BREAKING_WITH_CHANNEL = ORDERS_COMPATIBLE.replace("  amount DECIMAL(10, 2) NOT NULL,\n", "")


@pytest.fixture
def mail() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def tick(app: FastAPI, clock: Clock, mail: tuple[RecordingHandler, int]) -> Callable[..., None]:
    """Move the clock, then run one scheduler tick (enqueue and deliver over real SMTP)."""
    worker = NoticeScheduler(app.state.steward.db, Settings(smtp_port=mail[1]), clock=clock)

    def step(**advance: float) -> None:
        clock.advance(**advance)
        asyncio.run(worker.tick())

    return step


def _at(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _cr(org: Org, cr_id: int) -> Any:
    return _ok(org.get("owner", f"/change-requests/{cr_id}"))


def _notices(org: Org, cr_id: int) -> list[tuple[str, str]]:
    found = _ok(org.get("owner", f"/change-requests/{cr_id}/notices"))
    return [(n["kind"], n["recipient"]) for n in found]


def _schedule_breaking(org: Org, schema: str, **product: Any) -> int:
    org.register(notice_period="P14D", sunset_period="P30D", **product)
    _ok(
        org.post(
            "consumer", "/products/sales.orders/subscriptions", {"columns": ["shop.orders.amount"]}
        ),
        201,
    )
    cr = _ok(org.propose(schema, who="maintainer"), 201)
    assert cr["breaking"] is True
    assert _ok(org.post("owner", f"/change-requests/{cr['id']}/approve"))["state"] == "scheduled"
    return int(cr["id"])


def test_a_compatible_change_is_released_while_a_breaking_one_waits_and_keeps_its_dates(
    org: Org, clock: Clock, tick: Callable[..., None]
) -> None:
    breaking = _schedule_breaking(org, BREAKING_WITH_CHANNEL)
    tick(seconds=1)  # the deprecation notice is delivered: the notice period starts
    effective = _at(_cr(org, breaking)["earliest_effective_at"])
    old = org.get("consumer", "/products/sales.orders/versions/1.0.0")
    announced = parsedate_to_datetime(old.headers["Sunset"])
    assert announced >= effective + timedelta(days=30) - timedelta(seconds=1)

    tick(days=1)
    compatible = _ok(org.propose(ORDERS_COMPATIBLE, who="maintainer"), 201)
    released = _ok(org.post("owner", f"/change-requests/{compatible['id']}/approve"))
    assert (released["state"], released["target_version"]) == ("released", "1.1.0")

    rediffed = _cr(org, breaking)
    assert rediffed["state"] == "scheduled"
    assert (rediffed["base_version"], rediffed["target_version"]) == ("1.1.0", "2.0.0")
    assert [c["kind"] for c in rediffed["changes"]] == ["column_removed"]
    assert _at(rediffed["earliest_effective_at"]) == effective  # the announced date holds
    # 1.0.0 was promised until its announced sunset: the compatible release does not cut it short.
    old = org.get("consumer", "/products/sales.orders/versions/1.0.0")
    assert old.status_code == 200
    assert parsedate_to_datetime(old.headers["Sunset"]) == announced
    current = org.get("consumer", "/products/sales.orders/versions/1.1.0")
    assert current.headers["Deprecation"].startswith("@")  # 2.0.0 is coming

    clock.now = effective
    tick(seconds=1)
    done = _cr(org, breaking)
    assert (done["state"], done["target_version"]) == ("released", "2.0.0")
    for version in ("1.0.0", "1.1.0"):
        shown = org.get("consumer", f"/products/sales.orders/versions/{version}")
        assert parsedate_to_datetime(shown.headers["Sunset"]) >= announced

    clock.now = announced + timedelta(days=31)
    gone = org.get("consumer", "/products/sales.orders/versions/1.0.0")
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "gone"
    assert (
        gone.headers["Link"] == '</products/sales.orders/versions/1.1.0>; rel="successor-version"'
    )
    assert "Sunset" in gone.headers
    assert org.get("consumer", "/products/sales.orders/versions/2.0.0").status_code == 200


def test_a_rediff_that_adds_a_breaking_change_needs_a_new_approval_and_a_new_notice(
    org: Org, clock: Clock, tick: Callable[..., None]
) -> None:
    breaking = _schedule_breaking(org, ORDERS_BREAKING)  # lacks the column 1.1.0 will add
    tick(seconds=1)
    first_effective = _at(_cr(org, breaking)["earliest_effective_at"])
    compatible = _ok(org.propose(ORDERS_COMPATIBLE), 201)
    _ok(org.post("owner", f"/change-requests/{compatible['id']}/approve"))

    reopened = _cr(org, breaking)
    assert (reopened["state"], reopened["approver"]) == ("proposed", None)
    assert reopened["base_version"] == "1.1.0"
    assert {(c["kind"], c["column"]) for c in reopened["changes"]} == {
        ("column_removed", "amount"),
        ("column_removed", "channel"),
    }
    kinds = [k for k, r in _notices(org, breaking) if r == "consumer@example.com"]
    assert kinds == ["proposed", "deprecation", "proposed"]
    assert ("review", "owner@example.com") in _notices(org, breaking)

    tick(days=3)
    assert _ok(org.post("owner", f"/change-requests/{breaking}/approve"))["state"] == "scheduled"
    assert _cr(org, breaking)["earliest_effective_at"] is None  # a new notice, a new clock
    tick(seconds=1)
    again = _at(_cr(org, breaking)["earliest_effective_at"])
    assert again > first_effective  # later, never earlier
    kinds = [k for k, r in _notices(org, breaking) if r == "consumer@example.com"]
    assert kinds.count("deprecation") == 2


def test_a_second_breaking_change_beside_a_scheduled_one_is_refused(org: Org) -> None:
    breaking = _schedule_breaking(org, ORDERS_BREAKING)
    second = org.propose(ORDERS_BREAKING.replace("  note VARCHAR(100)\n", "  note TEXT\n"))
    assert second.status_code == 409
    assert second.json()["error"]["details"]["open_change_request"] == breaking


def test_an_early_release_never_moves_the_announced_sunset_earlier(
    org: Org, clock: Clock, tick: Callable[..., None]
) -> None:
    breaking = _schedule_breaking(org, ORDERS_BREAKING)
    tick(seconds=1)
    announced = parsedate_to_datetime(
        org.get("consumer", "/products/sales.orders/versions/1.0.0").headers["Sunset"]
    )
    tick(days=1)
    _ok(org.post("consumer", f"/change-requests/{breaking}/acknowledge"))
    released = _ok(org.post("owner", f"/change-requests/{breaking}/release"))
    assert released["state"] == "released"
    assert _at(released["released_at"]) + timedelta(days=30) < announced
    versions = _ok(org.get("consumer", "/products/sales.orders/versions"))
    sunset = _at(versions[0]["sunset_at"])
    assert sunset >= announced
    shown = org.get("consumer", "/products/sales.orders/versions/1.0.0")
    assert shown.status_code == 200 and parsedate_to_datetime(shown.headers["Sunset"]) == announced


def test_a_compatible_release_keeps_the_previous_version_for_its_sunset_period_then_410(
    org: Org, clock: Clock, tick: Callable[..., None]
) -> None:
    org.register(sunset_period="P30D")
    cr = _ok(org.propose(ORDERS_COMPATIBLE), 201)
    released = _ok(org.post("owner", f"/change-requests/{cr['id']}/approve"))
    versions = _ok(org.get("consumer", "/products/sales.orders/versions"))
    assert _at(released["released_at"]) == clock()
    assert _at(versions[0]["sunset_at"]) == clock() + timedelta(days=30)
    kept = org.get("consumer", "/products/sales.orders/versions/1.0.0")
    assert kept.status_code == 200 and "Sunset" in kept.headers
    tick(days=30)
    gone = org.get("consumer", "/products/sales.orders/versions/1.0.0")
    assert gone.status_code == 410
    assert gone.json()["error"]["details"]["successor"] == "/products/sales.orders/versions/1.1.0"


def test_a_breaking_change_that_reaches_no_known_reader_still_waits_its_notice_period(
    org: Org, clock: Clock, tick: Callable[..., None]
) -> None:
    org.register(notice_period="P14D")
    cr = _ok(org.propose(ORDERS_BREAKING), 201)
    approved = _ok(org.post("owner", f"/change-requests/{cr['id']}/approve"))
    assert approved["state"] == "scheduled"
    assert approved["waive_notice_without_readers"] is False
    assert _at(approved["earliest_effective_at"]) == clock() + timedelta(days=14)
    early = org.post("owner", f"/change-requests/{cr['id']}/release")
    assert early.status_code == 409  # nobody known acknowledged: there is nobody to
    tick(days=13, hours=23)
    assert _cr(org, cr["id"])["state"] == "scheduled"
    tick(hours=1)
    assert _cr(org, cr["id"])["state"] == "released"


def test_a_product_may_waive_the_notice_for_changes_that_reach_no_known_reader(
    org: Org, clock: Clock, tick: Callable[..., None]
) -> None:
    product = org.register(notice_period="P14D", waive_notice_without_readers=True)
    assert product["waive_notice_without_readers"] is True
    cr = _ok(org.propose(ORDERS_BREAKING), 201)
    approved = _ok(org.post("owner", f"/change-requests/{cr['id']}/approve"))
    assert approved["waive_notice_without_readers"] is True
    assert _at(approved["earliest_effective_at"]) == clock()
    tick(seconds=1)
    assert _cr(org, cr["id"])["state"] == "released"


def test_comments_and_reasons_reach_the_participants_and_the_audit(
    org: Org, clock: Clock, tick: Callable[..., None], mail: tuple[RecordingHandler, int]
) -> None:
    org.register()
    cr = _ok(org.propose(ORDERS_BREAKING, who="maintainer"), 201)
    assert ("review", "owner@example.com") in _notices(org, cr["id"])
    comment = _ok(
        org.post("consumer", f"/change-requests/{cr['id']}/comments", {"body": "we read amount"}),
        201,
    )
    assert (comment["author"], comment["body"]) == ("consumer@example.com", "we read amount")
    listed = _ok(org.get("other_owner", f"/change-requests/{cr['id']}/comments"))
    assert [c["body"] for c in listed] == ["we read amount"]
    told = {r for k, r in _notices(org, cr["id"]) if k == "comment"}
    assert told == {"owner@example.com", "maintainer@example.com"}
    blank = org.post("consumer", f"/change-requests/{cr['id']}/comments", {"body": "   "})
    assert blank.status_code == 422

    rejected = _ok(
        org.post("owner", f"/change-requests/{cr['id']}/reject", {"reason": "keep amount"})
    )
    assert (rejected["state"], rejected["decision_reason"]) == ("rejected", "keep amount")
    assert ("decision", "maintainer@example.com") in _notices(org, cr["id"])
    tick(seconds=1)
    to_maintainer = [m for m in mail[0].accepted if m["To"] == "maintainer@example.com"]
    decision = next(m for m in to_maintainer if "was rejected" in str(m["Subject"]))
    assert "keep amount" in decision.get_body(("plain",)).get_content()
    audit = _ok(org.get("admin", "/audit?product=sales.orders"))
    reject = next(a for a in audit if a["action"] == "change_request.reject")
    assert reject["after"]["reason"] == "keep amount"
    assert any(a["action"] == "change_request.comment" for a in audit)


def test_owners_are_reminded_once_of_a_proposal_awaiting_their_decision(
    org: Org, tick: Callable[..., None]
) -> None:
    org.register()
    cr = _ok(org.propose(ORDERS_COMPATIBLE, who="maintainer"), 201)
    tick(days=1)
    assert [k for k, r in _notices(org, cr["id"]) if r == "owner@example.com"] == ["review"]
    tick(days=1, seconds=1)  # the default wait is P2D
    tick(days=5)
    assert [k for k, r in _notices(org, cr["id"]) if r == "owner@example.com"] == [
        "review",
        "review",
    ]


def test_an_admin_approves_a_stuck_distinct_approver_proposal_only_with_a_reason(
    org: Org,
) -> None:
    org.register(require_distinct_approver=True)
    cr = _ok(org.propose(ORDERS_COMPATIBLE), 201)  # proposed by the only owner
    assert org.post("owner", f"/change-requests/{cr['id']}/approve").status_code == 403
    assert org.post("admin", f"/change-requests/{cr['id']}/approve").status_code == 422
    approved = _ok(
        org.post("admin", f"/change-requests/{cr['id']}/approve", {"reason": "owner on leave"})
    )
    assert (approved["state"], approved["approver"]) == ("released", "admin@example.com")
    audit = _ok(org.get("admin", "/audit?product=sales.orders"))
    entry = next(a for a in audit if a["action"] == "change_request.approve_as_admin")
    assert entry["after"]["reason"] == "owner on leave"

    # Not stuck (a maintainer proposed, the owner can decide): an admin may not step in.
    other = _ok(
        org.propose(
            ORDERS_COMPATIBLE.replace("channel TEXT", "channel TEXT,\n  x INT"), "maintainer"
        ),
        201,
    )
    refused = org.post("admin", f"/change-requests/{other['id']}/approve", {"reason": "hurry"})
    assert refused.status_code == 403


def test_a_product_retirement_is_announced_like_a_breaking_change(
    org: Org, clock: Clock, tick: Callable[..., None], mail: tuple[RecordingHandler, int]
) -> None:
    org.register(notice_period="P14D")
    _ok(org.post("consumer", "/products/sales.orders/subscriptions", {}), 201)
    assert org.post("consumer", "/products/sales.orders/retire").status_code == 403
    retiring = _ok(
        org.post("owner", "/products/sales.orders/retire", {"reason": "moved to sales.orders_v2"})
    )
    assert (retiring["kind"], retiring["state"]) == ("retirement", "scheduled")
    assert retiring["impact"]["consumers"] == ["consumer@example.com"]
    assert org.propose(ORDERS_COMPATIBLE).status_code == 409  # no proposals while retiring
    tick(seconds=1)
    effective = _at(_cr(org, retiring["id"])["earliest_effective_at"])
    assert effective >= clock() + timedelta(days=14) - timedelta(seconds=2)
    kinds = [k for k, r in _notices(org, retiring["id"]) if r == "consumer@example.com"]
    assert kinds == ["deprecation"]
    current = org.get("consumer", "/products/sales.orders/versions/current")
    assert current.status_code == 200 and "Sunset" in current.headers  # the date is announced
    assert parsedate_to_datetime(current.headers["Sunset"]) >= effective - timedelta(seconds=1)

    clock.now = effective
    tick(seconds=1)
    assert _cr(org, retiring["id"])["state"] == "released"
    assert _ok(org.get("consumer", "/products/sales.orders"))["retired_at"] is not None
    assert org.get("consumer", "/products/sales.orders/versions/1.0.0").status_code == 410
    kinds = [k for k, r in _notices(org, retiring["id"]) if r == "consumer@example.com"]
    assert kinds == ["deprecation", "sunset"]  # no tick fell on a reminder's moment
    subjects = [str(m["Subject"]) for m in mail[0].accepted if m["To"] == "consumer@example.com"]
    assert subjects[0].startswith("sales.orders is being retired: every version stops")
    assert subjects[-1] == "sales.orders is retired: every version is gone"
    assert org.propose(ORDERS_COMPATIBLE).status_code == 409
    again = org.post("owner", "/products/sales.orders/retire")
    assert again.status_code == 409


def test_a_reapproved_change_is_reminded_again_before_its_new_date(
    org: Org, clock: Clock, tick: Callable[..., None]
) -> None:
    breaking = _schedule_breaking(org, ORDERS_BREAKING)
    tick(seconds=1)
    tick(days=7, seconds=1)  # 7 days before the first date: the first reminder
    kinds = [k for k, r in _notices(org, breaking) if r == "consumer@example.com"]
    assert kinds.count("reminder") == 1
    compatible = _ok(org.propose(ORDERS_COMPATIBLE), 201)
    _ok(org.post("owner", f"/change-requests/{compatible['id']}/approve"))
    assert _cr(org, breaking)["state"] == "proposed"
    _ok(org.post("owner", f"/change-requests/{breaking}/approve"))
    tick(seconds=1)
    again = _at(_cr(org, breaking)["earliest_effective_at"])
    clock.now = again - timedelta(days=7) + timedelta(seconds=1)
    tick(seconds=0)
    kinds = [k for k, r in _notices(org, breaking) if r == "consumer@example.com"]
    assert kinds.count("reminder") == 2


def test_a_compatible_release_re_diffs_the_scheduled_change_against_the_app_s_lineage(
    org: Org, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking = _schedule_breaking(org, BREAKING_WITH_CHANNEL)
    view = {"name": "finance.big", "sql": "SELECT id FROM shop.orders WHERE amount > 9"}
    _ok(org.post("admin", "/lineage/sql", view | {"dialect": "postgres"}), 201)

    def no_second_index(self: object) -> None:
        raise AssertionError("a second lineage index was built")

    # From here on only the app's own index (app.state.steward.lineage) may be used.
    monkeypatch.setattr("service.usecases.lineage.LineageIndex.__init__", no_second_index)
    compatible = _ok(org.propose(ORDERS_COMPATIBLE, who="maintainer"), 201)
    assert _ok(org.post("owner", f"/change-requests/{compatible['id']}/approve"))["state"] == (
        "released"
    )
    rediffed = _cr(org, breaking)
    assert (rediffed["state"], rediffed["base_version"]) == ("scheduled", "1.1.0")
    readers = {r["name"] for r in rediffed["impact"]["readers"]}
    assert readers == {"subscription:1", "finance.big"}  # the view posted after the approval


def test_the_scheduler_s_release_re_diffs_the_open_proposal_against_its_lineage_index(
    org: Org,
    app: FastAPI,
    clock: Clock,
    mail: tuple[RecordingHandler, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    breaking = _schedule_breaking(org, ORDERS_BREAKING)
    compatible = _ok(org.propose(ORDERS_COMPATIBLE, who="maintainer"), 201)
    view = {"name": "finance.notes", "sql": "SELECT id, note FROM shop.orders"}
    _ok(org.post("admin", "/lineage/sql", view | {"dialect": "postgres"}), 201)
    # in-process, the scheduler is handed the app's index (see test_app_lifespan)
    lineage = app.state.steward.lineage
    worker = NoticeScheduler(
        app.state.steward.db, Settings(smtp_port=mail[1]), clock=clock, lineage=lineage
    )

    def no_second_index(self: object) -> None:
        raise AssertionError("a second lineage index was built")

    monkeypatch.setattr("service.usecases.lineage.LineageIndex.__init__", no_second_index)
    asyncio.run(worker.tick())  # the deprecation notice is delivered
    clock.now = _at(_cr(org, breaking)["earliest_effective_at"])
    asyncio.run(worker.tick())  # the release, and the re-diff of the open proposal
    assert _cr(org, breaking)["state"] == "released"
    rediffed = _cr(org, compatible["id"])
    assert rediffed["base_version"] == "2.0.0"
    assert "column_added" in {c["kind"] for c in rediffed["changes"]}
