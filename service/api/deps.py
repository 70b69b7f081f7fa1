"""Request-scoped dependencies: the app's context, the clock and the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.api.worker import Worker
from service.domain import Principal
from service.settings import Settings
from service.store.db import Database
from service.usecases.auth import authenticate
from service.usecases.common import Limits
from service.usecases.lineage import LineageIndex


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass
class Context:
    """What every route needs: settings, the database, limits, the lineage index, a clock, and
    the worker that parses and diffs under a deadline."""

    settings: Settings
    db: Database
    limits: Limits
    lineage: LineageIndex
    clock: Callable[[], datetime] = field(default=utc_now)
    worker: Worker = field(default_factory=lambda: Worker(0, 0))


async def context(request: Request) -> Context:
    """The app's context (async: no thread hop for a lookup)."""
    ctx: Context = request.app.state.steward
    return ctx


bearer = HTTPBearer(auto_error=False, description="A token from `steward token create`.")


def caller(
    ctx: Annotated[Context, Depends(context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The principal holding the request's bearer token (401 without a valid one)."""
    with ctx.db.reading() as session:
        return authenticate(session, credentials.credentials if credentials else None)


Ctx = Annotated[Context, Depends(context)]
Caller = Annotated[Principal, Depends(caller)]
