"""The console in a real browser, against a real server on loopback, as each role uses it."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from threading import Thread

from playwright.sync_api import BrowserContext, Page, expect

from service.cli.serve import demo_dir
from tests.e2e.conftest import Server, free_port, sign_in

Contexts = Callable[..., BrowserContext]
OWNER = "sam.sales@demo.example"
MAINTAINER = "mia.maintainer@demo.example"
ANALYST = "fin.analyst@demo.example"
MARKETING = "mo.marketing@demo.example"
BREAKING = (demo_dir() / "sales_orders.v2-breaking.sql").read_text("utf-8")


def propose_breaking(page: Page, server: Server) -> str:
    """As an owner or maintainer: preview the breaking demo change, then submit it; its URL."""
    page.goto(f"{server.base}/ui/products/sales.orders")
    page.get_by_role("link", name="Propose a change").click()
    page.get_by_label("Summary").fill("amount in cents")
    page.get_by_label("New schema").fill(BREAKING)
    page.get_by_role("button", name="Preview").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"Preview: 1\.0\.0 → 2\.0\.0"))
    ).to_be_visible()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/ui/change-requests/\d+\?done=proposed"))
    return page.url.split("?")[0]


def test_a_consumer_finds_a_product_by_a_column_name_and_subscribes_by_ticking_columns(
    server: Server, new_context: Contexts
) -> None:
    page = sign_in(new_context(), server, MARKETING)
    page.get_by_label("Search").fill("currency")
    page.get_by_label("Search").press("Enter")
    results = page.locator("#results")
    expect(results).to_contain_text("1 product(s) match")
    expect(results.get_by_text("column: shop.orders.currency")).to_be_visible()
    results.get_by_role("link", name="sales.orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("sales.orders")
    page.get_by_role("checkbox", name="order_id", exact=True).check()
    page.get_by_role("checkbox", name="amount", exact=True).check()
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Subscribed.")
    mine = page.locator("ul.subs")
    expect(mine).to_contain_text("shop.orders.amount, shop.orders.order_id")
    mine.get_by_role("button", name=re.compile("Unsubscribe")).click()
    expect(page.get_by_role("status")).to_have_text("Unsubscribed.")
    expect(page.locator("ul.subs")).to_have_count(0)


def test_a_breaking_change_is_proposed_approved_by_the_owner_and_acknowledged_by_a_consumer(
    server: Server, new_context: Contexts
) -> None:
    maintainer = sign_in(new_context(), server, MAINTAINER)
    review = propose_breaking(maintainer, server)
    rows = maintainer.locator("table.diff tbody tr")
    expect(rows.first).to_have_class(re.compile("verdict-breaking"))
    expect(maintainer.locator(".impact")).to_contain_text(ANALYST)
    expect(maintainer.locator("svg.impact-graph")).to_contain_text("shop.orders.amount")
    expect(maintainer.get_by_role("button", name="Approve")).to_have_count(0)

    consumer = sign_in(new_context(), server, ANALYST)
    consumer.goto(review)
    expect(consumer.get_by_role("button", name="Approve")).to_have_count(0)
    expect(consumer.get_by_role("button", name="Reject")).to_have_count(0)

    owner = sign_in(new_context(), server, OWNER)
    owner.goto(f"{server.base}/ui/waiting")
    owner.get_by_role("link", name=re.compile("amount in cents")).click()
    owner.get_by_label("Comment", exact=True).fill("Go ahead; finance knows.")
    owner.get_by_role("button", name="Approve").click()
    expect(owner.get_by_role("status")).to_have_text("Approved.")
    expect(owner.locator(".state")).to_contain_text("Scheduled")
    expect(owner.locator(".timeline")).to_contain_text("Deprecation notice pending")

    consumer.goto(f"{server.base}/ui/waiting")
    consumer.get_by_role("link", name=re.compile("amount in cents")).click()
    expect(consumer.locator("main")).to_contain_text(f"Still awaited: {ANALYST}")
    consumer.get_by_role("button", name="Acknowledge").click()
    expect(consumer.get_by_role("status")).to_have_text("Acknowledged.")
    expect(consumer.locator("main")).to_contain_text(f"Acknowledged by: {ANALYST}.")
    expect(consumer.get_by_role("button", name="Acknowledge")).to_have_count(0)


def test_the_owner_rejects_a_proposal_and_a_consumers_forged_approve_says_why(
    server: Server, new_context: Contexts
) -> None:
    review = propose_breaking(sign_in(new_context(), server, MAINTAINER), server)
    consumer = sign_in(new_context(), server, ANALYST)
    consumer.goto(review)
    # A consumer has no Approve button; a form built by hand in the page is refused in words.
    consumer.evaluate(
        """action => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = action;
            const csrf = document.querySelector('input[name=csrf]').cloneNode();
            form.appendChild(csrf);
            document.body.appendChild(form);
            form.submit();
        }""",
        review + "/approve",
    )
    expect(consumer.get_by_role("alert")).to_have_text(
        "only an owner of the product may approve a change request"
    )
    owner = sign_in(new_context(), server, OWNER)
    owner.goto(review)
    owner.get_by_role("button", name="Reject").click()
    expect(owner.locator(".state")).to_contain_text("Rejected")
    expect(owner.get_by_role("button", name="Approve")).to_have_count(0)


class Attacker(BaseHTTPRequestHandler):
    """Another site on loopback whose page posts an approval to Steward on load."""

    target = ""

    def do_GET(self) -> None:
        body = (
            f'<form id="f" method="post" action="{self.target}">'
            '<input name="csrf" value="guess"></form>'
            "<script>document.getElementById('f').submit()</script>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Quiet."""


def test_a_forged_cross_site_post_is_refused_and_changes_nothing(
    server: Server, new_context: Contexts
) -> None:
    review = propose_breaking(sign_in(new_context(), server, MAINTAINER), server)
    owner = sign_in(new_context(), server, OWNER)
    Attacker.target = review + "/approve"
    evil = ThreadingHTTPServer(("127.0.0.1", free_port()), Attacker)
    Thread(target=evil.serve_forever, daemon=True).start()
    try:
        # `localhost` is another site (no cookie is sent); 127.0.0.1 on another port is the
        # same site but another origin: the cookie goes along, the CSRF check still refuses.
        for host in ("localhost", "127.0.0.1"):
            with owner.expect_response(review + "/approve") as answer:
                owner.goto(f"http://{host}:{evil.server_address[1]}/")
            assert answer.value.status == 403
            expect(owner.get_by_role("alert")).to_contain_text("refused")
    finally:
        evil.shutdown()
        evil.server_close()
    owner.goto(review)
    expect(owner.locator(".state")).to_contain_text("Proposed")


def _check_structure(page: Page) -> None:
    """One h1, no skipped heading level, a label for every control."""
    levels = page.eval_on_selector_all(
        "main h1, main h2, main h3, main h4", "els => els.map(e => Number(e.tagName[1]))"
    )
    assert levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    unlabelled = page.eval_on_selector_all(
        "input:not([type=hidden]), textarea, select, button",
        "els => els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
        " && !(e.tagName === 'BUTTON' && e.textContent.trim())).map(e => e.outerHTML)",
    )
    assert unlabelled == []


def test_every_page_reads_at_390_and_1280_pixels_with_headings_in_order_and_labels(
    server: Server, new_context: Contexts
) -> None:
    review = propose_breaking(sign_in(new_context(), server, MAINTAINER), server)
    pages = ["/ui", "/ui/products/sales.orders", "/ui/waiting", "/ui/products/sales.orders/propose"]
    for width in (390, 1280):
        page = sign_in(new_context(width=width, height=844), server, OWNER)
        for path in [*pages, review.removeprefix(server.base)]:
            page.goto(server.base + path)
            _check_structure(page)
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{path} is {overflow}px wide at {width}px"


def test_keyboard_alone_signs_in_finds_a_product_and_subscribes(
    server: Server, new_context: Contexts
) -> None:
    page = new_context().new_page()
    page.goto(f"{server.base}/ui")

    def tab_to(selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                visible = page.evaluate(
                    "getComputedStyle(document.activeElement).outlineStyle !== 'none'"
                )
                assert visible, f"{selector} has no visible focus"
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#token")
    page.keyboard.type(server.tokens[MARKETING])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done=signed-in"))
    tab_to("#q")
    page.keyboard.type("spend")
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_contain_text("1 product(s) match")
    tab_to("a[href='/ui/products/marketing.campaigns']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("marketing.campaigns")
    tab_to("input[name=column]")
    page.keyboard.press("Space")
    tab_to("#subscribe-button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Subscribed.")


def test_the_api_docs_render_offline_from_steward_itself(
    server: Server, new_context: Contexts
) -> None:
    page = new_context().new_page()
    page.goto(f"{server.base}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Steward")
    page.goto(f"{server.base}/redoc")
    expect(page.get_by_role("heading", name=re.compile("Steward"))).to_be_visible()
    page.goto(server.base + "/")
    page.wait_for_url(re.compile(r"/ui/sign-in"))


SHOTS = [
    ("sign-in", None, "/ui/sign-in"),
    ("catalogue", OWNER, "/ui?q=customer"),
    ("product", OWNER, "/ui/products/sales.orders"),
    ("propose", MAINTAINER, None),
    ("change-request", OWNER, "review"),
    ("waiting", ANALYST, "/ui/waiting"),
    ("change-request-390px", ANALYST, "review"),
]


def test_a_screenshot_of_every_page(server: Server, new_context: Contexts, tmp_path: Path) -> None:
    """Screenshots land in tmp; with STEWARD_SCREENSHOTS=DIR they are copied there (docs/console)."""
    maintainer = sign_in(new_context(), server, MAINTAINER)
    maintainer.goto(f"{server.base}/ui/products/sales.orders/propose")
    maintainer.get_by_label("Summary").fill("amount in cents")
    maintainer.get_by_label("New schema").fill(BREAKING)
    maintainer.get_by_role("button", name="Preview").click()
    maintainer.screenshot(path=tmp_path / "propose.png", full_page=True)
    maintainer.get_by_role("button", name="Submit").click()
    review = maintainer.url.split("?")[0].removeprefix(server.base)
    sign_in(new_context(), server, OWNER).goto(server.base + review)
    for name, who, path in SHOTS:
        if path is None:
            continue
        width = 390 if name.endswith("390px") else 1280
        context = new_context(width=width, height=844)
        page = sign_in(context, server, who) if who else context.new_page()
        page.goto(server.base + (review if path == "review" else path))
        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert shots == sorted(f"{name}.png" for name, _, _ in SHOTS)
    assert all((tmp_path / s).read_bytes().startswith(b"\x89PNG") for s in shots)
    target = os.environ.get("STEWARD_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy(tmp_path / shot, Path(target) / shot)
