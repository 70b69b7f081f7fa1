"""Templates, the signed-in viewer, and turning refused actions into pages that say why."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from service.console.session import CSRF_FIELD, SessionData, Sessions
from service.console.views import duration_words, in_words
from service.domain import Principal
from service.errors import NotAuthenticated, StewardError
from service.usecases.auth import authenticate

if TYPE_CHECKING:
    from service.api.deps import Context

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: the signed-in principal (None before sign-in) and the session."""

    principal: Principal | None
    session: SessionData
    csrf: str

    @property
    def me(self) -> Principal:
        """The signed-in principal; NotAuthenticated (a redirect to sign-in) otherwise."""
        if self.principal is None:
            raise NotAuthenticated("sign in with your token first")
        return self.principal


class Console:
    """What the console's routes share: templates, sessions, and the app's context."""

    def __init__(self, ctx: Context, secret: str | None) -> None:
        """Templates from the package; a session secret (random per process when unset)."""
        self.ctx = ctx
        self.sessions = Sessions(secret or secrets.token_urlsafe(32))
        self.env = Environment(
            loader=PackageLoader("service.console", "templates"),
            autoescape=select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["duration"] = duration_words

    def viewer(self, request: Request) -> Viewer:
        """The request's viewer: the session's token checked by the API's authenticate."""
        data = self.sessions.load(request)
        principal = None
        if data.token:
            try:
                with self.ctx.db.reading() as session:
                    principal = authenticate(session, data.token, self.clock())
            except NotAuthenticated:
                principal = None
        return Viewer(principal, data, self.sessions.csrf(data))

    def page(
        self,
        request: Request,
        viewer: Viewer,
        template: str,
        status: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        """Render a page; set the session cookie when it is new."""
        now = self.ctx.clock()
        html = self.env.get_template(template).render(
            request=request,
            viewer=viewer,
            csrf_field=CSRF_FIELD,
            now=now,
            words=lambda moment: in_words(moment, now),
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        # Only a page fetched by GET starts a session: a refused (perhaps forged) POST must not
        # replace the cookie of someone signed in.
        if viewer.session.fresh and request.method == "GET":
            self.sessions.store(request, response, viewer.session)
        return response

    def checked(self, request: Request, viewer: Viewer, sent: str | None) -> Principal:
        """The signed-in principal of a POST that passed the CSRF checks."""
        self.sessions.check(request, viewer.session, sent)
        return viewer.me

    def clock(self) -> datetime:
        """The app's clock."""
        return self.ctx.clock()


def console_of(request: Request) -> Console:
    """The console the app was built with."""
    console: Console = request.app.state.console
    return console


def status_of(error: StewardError) -> int:
    """The HTTP status the API answers this error with (its one mapping)."""
    from service.api.app import status_for  # app.py mounts the console: import at call time

    return status_for(error)


def _back(request: Request) -> str:
    """Where "Back" leads: the page the form was on (a console path), else the catalogue."""
    path = urlparse(request.headers.get("referer", "")).path
    return path if path.startswith("/ui") else "/ui"


class ConsoleRoute(APIRoute):
    """A route whose refusals are pages: sign-in for the unauthenticated, the message otherwise."""

    def get_route_handler(self) -> Handler:
        """Wrap the handler: StewardError -> an HTML page with the API's status and message."""
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except NotAuthenticated:
                target = request.url.path if request.method == "GET" else "/ui"
                return RedirectResponse(f"/ui/sign-in?next={target}", status_code=303)
            except StewardError as error:
                console = console_of(request)
                viewer = console.viewer(request)
                return console.page(
                    request,
                    viewer,
                    "error.html.j2",
                    status=status_of(error),
                    message=error.message,
                    back=_back(request),
                )

        return run
