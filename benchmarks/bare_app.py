"""The API benchmark's floor: a bare FastAPI app with one GET endpoint, served as Steward is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

app = FastAPI()
PRODUCT = {
    "name": "sales.orders",
    "description": "",
    "dialect": "postgres",
    "owners": ["owner@bench.example"],
    "maintainers": [],
    "notice_period": "P14D",
    "sunset_period": "P30D",
    "require_distinct_approver": False,
    "defining_sql": None,
    "current_version": "1.0.0",
    "created_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
    "reminders": ["P7D", "P1D"],
}


@app.get("/products/{name}")
def product(name: str) -> dict[str, Any]:
    """The same JSON as Steward's product, from memory: no token, no database."""
    return {**PRODUCT, "name": name}


def create_app() -> FastAPI:
    """The app (a factory, as Steward's is served)."""
    return app
