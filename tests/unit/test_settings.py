"""Settings: a working default for each, STEWARD_ variables override them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.settings import DEFAULT_DATABASE_URL, Settings


def test_every_setting_has_a_working_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STEWARD_DATABASE_URL", "STEWARD_HOST", "STEWARD_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.max_schema_bytes > 0


def test_steward_variables_override_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_PORT", "9000")
    monkeypatch.setenv("STEWARD_DATABASE_URL", "postgresql+psycopg://u@h/db")
    settings = Settings()
    assert settings.port == 9000
    assert settings.sqlite_path() is None


def test_a_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings()


def test_the_sqlite_directory_is_created(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/a/b/steward.db")
    settings.ensure_database_directory()
    assert (tmp_path / "a" / "b").is_dir()
    assert Settings(database_url="sqlite:///:memory:").sqlite_path() is None
