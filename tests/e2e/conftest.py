"""End-to-end fixtures: a real Steward server on loopback (uvicorn, SQLite, the demo organisation)
and Debian's Chromium driven by Playwright, one browser for the whole session."""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from service.api import create_app
from service.cli.serve import demo_dir, load_demo
from service.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# How long a page may take to show what a test waits for: generous, the machines are shared
# (a bound on waiting, not a timed assertion; ReDoc parses a 1 MB bundle).
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A running Steward: its base URL and the demo's tokens by email."""

    base: str
    tokens: dict[str, str]


@dataclass
class Outside:
    """Requests the browser tried to send anywhere but loopback (each one aborted)."""

    urls: list[str] = field(default_factory=list)


def serve(app: object, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    """Run an ASGI app with uvicorn on 127.0.0.1:port in a thread, started."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.02)
    return server, thread


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`steward serve --demo` as a test runs it: a fresh SQLite store, the demo loaded."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/steward.db", scheduler=False)
    app = create_app(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = load_demo(app.state.steward.db, demo_dir(), base)
    tokens = dict(re.findall(r"^\s+(\S+@demo\.example)\s+(\S+)$", text, re.M))
    running, thread = serve(app, port)
    yield Server(base, tokens)
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with a fresh profile (Playwright's own temporary one).

    Package-scoped, not session-scoped: Playwright's sync API keeps an event loop running in
    this thread while it is open, which later tests' `asyncio.run()` would trip over.
    """
    if not CHROMIUM.exists():
        message = "/usr/bin/chromium is missing: install it with `apt-get install -y chromium`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory() as downloads, sync_playwright() as p:
        found = p.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, downloads_path=downloads
        )
        yield found
        found.close()


@pytest.fixture
def outside() -> Outside:
    """The non-loopback requests of this test's pages."""
    return Outside()


@pytest.fixture
def new_context(browser: Browser, outside: Outside) -> Iterator[object]:
    """Make browser contexts (one per person) that abort and count non-loopback requests."""
    made: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 900) -> BrowserContext:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(WAIT_MS)

        def guard(route: Route) -> None:
            host = urlparse(route.request.url).hostname or ""
            if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
                route.continue_()
            else:
                outside.urls.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert outside.urls == [], f"requests left loopback: {outside.urls}"


def sign_in(context: BrowserContext, server: Server, email: str) -> Page:
    """A page of `context` signed in as `email` through the sign-in form."""
    page = context.new_page()
    page.goto(f"{server.base}/ui")
    page.get_by_label("Token").fill(server.tokens[email])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/ui\?done=signed-in"))
    return page
