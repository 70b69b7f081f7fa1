"""Request-scoped dependencies: the app's context, the clock and the caller."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.api.worker import Worker
from service.domain import MAX_PAGE, Page, Principal
from service.errors import InvalidInput
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
    mail: str = "unchecked"  # `steward serve` checks the SMTP server at start
    worker: Worker = field(default_factory=lambda: Worker(0, 0))


async def context(request: Request) -> Context:
    """The app's context (async: no thread hop for a lookup)."""
    ctx: Context = request.app.state.steward
    return ctx


bearer = HTTPBearer(auto_error=False, description="A token from `steward token create`.")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def token_of(credentials: Credentials) -> str | None:
    """The request's bearer token, if it sent one."""
    return credentials.credentials if credentials else None


def caller(ctx: Annotated[Context, Depends(context)], credentials: Credentials) -> Principal:
    """The principal holding the request's bearer token (401 without a valid one)."""
    token = token_of(credentials)
    # one statement: no ORM session needed
    return ctx.db.read(lambda connection: authenticate(connection, token, ctx.clock()))


Ctx = Annotated[Context, Depends(context)]
Caller = Annotated[Principal, Depends(caller)]


def page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 100,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`X-Next-Cursor` of the previous page.")
    ] = None,
) -> Page:
    """The page a list route is asked for: `limit` items after the opaque `cursor`."""
    if cursor is None:
        return Page(limit)
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise InvalidInput("cursor is not one this API gave out", field="cursor") from exc
    if not isinstance(after, str | int) or isinstance(after, bool):
        raise InvalidInput("cursor is not one this API gave out", field="cursor")
    return Page(limit, after)


def next_page(request: Request, response: Response, after: str | int | None) -> None:
    """Say where the next page is: `X-Next-Cursor` and a `Link: <...>; rel="next"` header."""
    if after is None:
        return
    cursor = base64.urlsafe_b64encode(json.dumps(after).encode()).decode("ascii")
    response.headers["X-Next-Cursor"] = cursor
    url = request.url.include_query_params(cursor=cursor)
    response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'


PageQuery = Annotated[Page, Depends(page)]
