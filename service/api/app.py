"""create_app(settings): the FastAPI app, with ONE mapping from errors to HTTP responses."""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from service import __version__
from service.api.deps import Context, utc_now
from service.api.fan_out import WriteOutBatches
from service.api.limits import BodyLimit
from service.api.routes import (
    change_requests,
    lineage,
    me,
    misc,
    notices,
    products,
    subscriptions,
)
from service.api.schemas import ErrorOut
from service.api.worker import Worker
from service.console import mount_console
from service.errors import (
    Conflict,
    DeadlineExceeded,
    Gone,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotAuthorized,
    NotFound,
    SchemaParseError,
    StewardError,
)
from service.settings import Settings
from service.store.db import Database
from service.usecases.common import Limits
from service.usecases.lineage import LineageIndex

log = logging.getLogger(__name__)
#: Routes whose bodies may be as large as a dbt manifest; every other one has max_body_bytes.
MANIFEST_PATHS = ("/lineage/dbt", "/api/v1/lineage")

STATUS: dict[type[StewardError], int] = {
    NotAuthenticated: 401,
    NotAuthorized: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    InvalidTransition: 409,
    InvalidInput: 422,
    SchemaParseError: 422,
    DeadlineExceeded: 422,
}
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_encoding",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut}
    for status in (400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 503)
}


def status_for(error: StewardError) -> int:
    """The HTTP status of an error (its nearest mapped class; 422 otherwise)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The one error shape: `{"error": {"code", "message", "details"}}`."""
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


async def _steward_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StewardError)
    details = {k: v for k, v in exc.details.items() if v is not None}
    headers = exc.headers if isinstance(exc, Gone) else None
    return error_response(status_for(exc), exc.code, exc.message, details, headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body",
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "the body is not valid JSON", {"errors": errors})
    message = f"{first['field']}: {first['message']}"
    return error_response(422, "invalid_input", message, {"errors": errors})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail)
    if message == "There was an error parsing the body":  # FastAPI's words for bad UTF-8
        code, message = "invalid_json", "the body is not valid UTF-8 JSON"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed(request))
    return error_response(exc.status_code, code, message, headers=headers)


def _allowed(request: Request) -> list[str]:
    """Every method some route serves at the request's path (Starlette names only the first)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _too_deep(_request: Request, exc: Exception) -> JSONResponse:
    # A last line behind the parsers' own nesting bounds: never a 500 for a deep input.
    log.info("recursion limit reached: %s", exc)
    return error_response(422, "invalid_input", "the input nests too deeply to be read")


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # A uniqueness race the operation did not foresee: the other writer won; retrying is safe.
    log.info("integrity error mapped to 409: %s", exc)
    return error_response(409, "conflict", "a concurrent request changed the same data; retry")


def _start_scheduler(settings: Settings, lineage: LineageIndex) -> Any:
    """Start the notice scheduler in-process when that module is installed (else None), with
    the app's lineage index."""
    if not settings.scheduler:
        return None
    try:
        module = importlib.import_module("service.scheduler")
    except ImportError:
        return None
    start = getattr(module, "start_scheduler", None)
    return start(settings, lineage) if callable(start) else None


#: The collector's thresholds while serving. At Python's (700, 10, 10) a request that holds
#: tens of thousands of objects at once (a proposal over a thousand subscriptions) runs the
#: youngest pass dozens of times, each promoting the request's still-live objects, until full
#: passes come every few requests (6-18 ms each, measured). Collecting the youngest every
#: 10,000 allocations lets a request's objects die young.
GC_THRESHOLDS = (10_000, 20, 20)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """The Steward API for these settings; migrates the database when told to (else checks
    that it is at this release's schema)."""
    settings = settings or Settings()
    db = Database(settings)
    if settings.run_migrations:
        db.migrate()
    else:  # a replica started after `steward db upgrade`: refuse a schema it does not know
        db.require_current()
    limits = Limits(settings.max_schema_bytes, settings.max_sql_bytes, settings.max_manifest_bytes)
    worker = Worker(settings.parse_workers, settings.parse_timeout_seconds)
    ctx = Context(
        settings=settings,
        db=db,
        limits=limits,
        lineage=LineageIndex(runner=worker),
        clock=clock,
        worker=worker,
    )
    try:
        with db.reading() as session:
            ctx.lineage.refresh(session)
    except DeadlineExceeded as exc:  # read again, batch by batch, before the next impact
        log.warning("lineage not read at start-up: %s", exc)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker.warm()
        scheduler = _start_scheduler(settings, ctx.lineage)
        # What start-up built (routes, models, sqlglot's tables) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise walk it again and again.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            stop = getattr(scheduler, "shutdown", None)
            if callable(stop):
                stop()
            db.dispose()

    app = FastAPI(
        title="Steward",
        version=__version__,
        description="Schema evolution and change management for data products.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,  # served offline by the console (vendored assets)
        redoc_url=None,
    )
    app.state.steward = ctx
    app.add_exception_handler(StewardError, _steward_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_middleware(WriteOutBatches, db=db)
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        per_path=dict.fromkeys(MANIFEST_PATHS, settings.max_manifest_bytes),
        error=error_response,
    )
    for module in (products, subscriptions, change_requests, notices, lineage, misc, me):
        app.include_router(module.router)
    mount_console(app, ctx)
    return app
