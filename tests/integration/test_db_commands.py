"""`steward db upgrade|check`, and replicas told not to migrate refusing an out-of-date schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from service.api import create_app
from service.cli import main
from service.settings import Settings
from service.store.db import SchemaOutOfDate, head_revision


def test_check_fails_until_upgrade_brings_the_database_to_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'steward.db'}")
    runner = CliRunner()
    before = runner.invoke(main, ["db", "check"])
    assert before.exit_code == 1
    assert "needs" in before.output and head_revision() in before.output
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"-> {head_revision()}" in upgraded.output
    again = runner.invoke(main, ["db", "upgrade"])
    assert "already at" in again.output
    after = runner.invoke(main, ["db", "check"])
    assert after.exit_code == 0
    assert f"at {head_revision()}" in after.output


def test_a_replica_told_not_to_migrate_refuses_a_database_behind_its_release(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'steward.db'}", run_migrations=False)
    with pytest.raises(SchemaOutOfDate, match="steward db upgrade"):
        create_app(settings)


def test_a_scheduler_told_not_to_migrate_exits_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'steward.db'}")
    result = CliRunner().invoke(main, ["scheduler", "--no-migrate"])
    assert result.exit_code == 1
    assert "run `steward db upgrade`" in result.output
