"""The app's start-up: the scheduler hook, and lineage loaded from the store."""

from __future__ import annotations

import sys
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

from service.api import create_app
from service.settings import Settings
from service.usecases.auth import create_token
from tests.integration.conftest import ORDERS_BREAKING, Clock, Org

warnings.filterwarnings("ignore", message=".*httpx2.*")

from fastapi.testclient import TestClient  # noqa: E402


class FakeRunning:
    """What start_scheduler returns: something to shut down."""

    def __init__(self) -> None:
        self.stopped = False

    def shutdown(self) -> None:
        self.stopped = True


def test_the_scheduler_starts_with_the_app_and_stops_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Any] = []
    running = FakeRunning()

    def start_scheduler(settings: Settings, lineage: Any) -> FakeRunning:
        started.append((settings, lineage))
        return running

    module = types.ModuleType("service.scheduler")
    module.start_scheduler = start_scheduler  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "service.scheduler", module)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        # in-process, the scheduler's releases re-diff against the app's own lineage index
        assert started == [(settings, app.state.steward.lineage)]
        assert not running.stopped
    assert running.stopped


def test_the_scheduler_stays_off_when_the_settings_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("service.scheduler")
    module.start_scheduler = lambda settings, lineage: pytest.fail("scheduler started")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "service.scheduler", module)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", scheduler=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200


def test_lineage_stored_before_a_restart_is_used_after_it(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", scheduler=False)
    first = create_app(settings)
    with first.state.steward.db.writing() as session:
        tokens = {
            "admin": create_token(session, email="admin@example.com", admin=True, now=Clock()())[1],
            "owner": create_token(session, email="owner@example.com", now=Clock()())[1],
        }
    with TestClient(first) as client:
        org = Org(client, tokens)
        org.register()
        view = {
            "name": "v",
            "sql": "CREATE VIEW fin.v AS SELECT amount FROM shop.orders",
            "dialect": "postgres",
        }
        assert org.post("admin", "/lineage/sql", view).status_code == 201
    with TestClient(create_app(settings)) as client:
        cr = Org(client, tokens).propose(ORDERS_BREAKING).json()
    assert "fin.v" in {r["name"] for r in cr["impact"]["readers"]}
