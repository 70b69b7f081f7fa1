"""`steward check`: the CI gate knows what the workflow approved (a real server on loopback,
SQLite and PostgreSQL, the clock moved by the test)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import update

from service.cli import main
from service.store.tables import NoticeRow

from .conftest import ORDERS_BREAKING, ORDERS_COMPATIBLE, ORDERS_V1, Clock, Org
from .notifications.conftest import free_port


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The test's app served by uvicorn on a loopback port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def _check(
    server: str,
    token: str,
    tmp_path: Path,
    schema: str,
    fmt: str = "text",
    extra: tuple[str, ...] = (),
) -> tuple[int, str]:
    path = tmp_path / "orders.sql"
    path.write_text(schema)
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(path),
            "--product",
            "sales.orders",
            "--server",
            server,
            "--format",
            fmt,
            *extra,
        ],
        env={"STEWARD_TOKEN": token},
    )
    return result.exit_code, result.output


def test_the_gate_passes_current_compatible_and_approved_due_schemas_only(
    org: Org, app: FastAPI, clock: Clock, server: str, tmp_path: Path
) -> None:
    org.register(notice_period="P14D")
    token = org.tokens["consumer"]
    assert _check(server, token, tmp_path, ORDERS_V1)[0] == 0
    code, out = _check(server, token, tmp_path, ORDERS_COMPATIBLE)
    assert code == 0 and "compatible" in out

    code, out = _check(server, token, tmp_path, ORDERS_BREAKING)
    assert code == 1 and "open one" in out and "change-requests" in out
    cr = org.propose(ORDERS_BREAKING).json()
    code, out = _check(server, token, tmp_path, ORDERS_BREAKING)
    assert code == 1 and f"#{cr['id']}" in out and "not approved" in out

    assert org.post("owner", f"/change-requests/{cr['id']}/approve").status_code == 200
    code, out = _check(server, token, tmp_path, ORDERS_BREAKING, "github")
    assert code == 1
    assert out.startswith("::error file=") and "waiting" in out and "::warning" in out
    effective = org.get("owner", f"/change-requests/{cr['id']}").json()["earliest_effective_at"]
    assert effective is not None and effective[:10] in out  # the date to wait for

    clock.advance(days=14)
    code, out = _check(server, token, tmp_path, ORDERS_BREAKING, "markdown")
    assert code == 0, out
    assert out.startswith("### ✅ Steward check: sales.orders") and f"#{cr['id']}" in out


def test_the_gate_counts_from_the_delivered_notice_and_refuses_without_a_token(
    org: Org, app: FastAPI, clock: Clock, server: str, tmp_path: Path
) -> None:
    org.register(notice_period="P7D")
    assert (
        org.post(
            "consumer", "/products/sales.orders/subscriptions", {"columns": ["shop.orders.amount"]}
        ).status_code
        == 201
    )
    cr = org.propose(ORDERS_BREAKING).json()
    org.post("owner", f"/change-requests/{cr['id']}/approve")
    clock.advance(days=8)
    code, out = _check(server, org.tokens["consumer"], tmp_path, ORDERS_BREAKING)
    assert code == 1 and "deprecation notice is delivered" in out  # no delivery, no clock
    with app.state.steward.db.writing() as session:
        session.execute(
            update(NoticeRow)
            .where(NoticeRow.kind == "deprecation")
            .values(state="delivered", delivered_at=clock())
        )
    clock.advance(days=7)
    assert _check(server, org.tokens["consumer"], tmp_path, ORDERS_BREAKING)[0] == 0
    code, out = _check(server, "not-a-token", tmp_path, ORDERS_BREAKING)
    assert code == 1 and "401" in out


def test_the_gate_takes_rename_hints_as_steward_diff_does(
    org: Org, server: str, tmp_path: Path
) -> None:
    org.register()
    token = org.tokens["consumer"]
    renamed = ORDERS_V1.replace("note VARCHAR(100)", "remark VARCHAR(100)")
    code, out = _check(server, token, tmp_path, renamed, "markdown")
    assert code == 1 and "| column_removed |" in out and "| column_added |" in out
    hint = ("--rename", "shop.orders.note=remark")
    code, out = _check(server, token, tmp_path, renamed, "markdown", hint)
    assert code == 1 and "| column_renamed | `shop.orders.remark` |" in out
    assert "column_removed" not in out and "column_added" not in out
    # the proposal with the same hint is the change request the gate then names
    body = {"schema": renamed, "summary": "rename", "renames": {"shop.orders.note": "remark"}}
    cr = org.post("owner", "/products/sales.orders/change-requests", body).json()
    code, out = _check(server, token, tmp_path, renamed, "text", hint)
    assert code == 1 and f"#{cr['id']}" in out and "not approved" in out
    # a hint the current schema cannot resolve is the server's 422; a malformed one never leaves
    code, out = _check(server, token, tmp_path, renamed, "text", ("--rename", "shop.nope.a=b"))
    assert code == 1 and "422" in out and "shop.nope" in out
    code, out = _check(server, token, tmp_path, renamed, "text", ("--rename", "no-equals"))
    assert code == 2 and "TABLE.OLD=NEW" in out
