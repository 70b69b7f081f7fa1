"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    """The repository's fixtures/ directory."""
    return FIXTURES


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the test PostgreSQL server; in CI its absence fails, locally it skips loudly."""
    url = os.environ.get("STEWARD_TEST_POSTGRES_URL")
    if not url:
        message = (
            "STEWARD_TEST_POSTGRES_URL is not set: PostgreSQL tests cannot run "
            "(start one with `bash scripts/postgres.sh`)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url
