"""The console's forms over HTTP on both stores: sessions, CSRF, refusals in words, search."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from service.console.session import COOKIE
from tests.integration.conftest import ORDERS_BREAKING, Org

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ALERT_TEXT = re.compile(r'role="alert">([^<]*)<')


def alerts(page: str) -> list[str]:
    """The page's alert messages, unescaped."""
    return [html.unescape(m) for m in ALERT_TEXT.findall(page)]


def signed_in(org: Org, who: str) -> tuple[TestClient, str]:
    """A client of its own, signed in through the form; its CSRF value."""
    client = TestClient(org.client.app)
    csrf = CSRF.findall(client.get("/ui/sign-in").text)[0]
    answer = client.post("/ui/sign-in", data={"token": org.tokens[who], "csrf": csrf})
    assert answer.status_code == 200 and "You are signed in." in answer.text
    return client, CSRF.findall(answer.text)[0]


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(org: Org) -> None:
    client = TestClient(org.client.app)
    csrf = CSRF.findall(client.get("/ui/sign-in").text)[0]
    answer = client.post(
        "/ui/sign-in",
        data={"token": org.tokens["owner"], "csrf": csrf},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(COOKIE) and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" in cookie
    plain = TestClient(org.client.app).get("/ui/sign-in").headers["set-cookie"].lower()
    assert "secure" not in plain


def test_a_wrong_token_is_refused_in_words_and_signs_nobody_in(org: Org) -> None:
    client = TestClient(org.client.app)
    csrf = CSRF.findall(client.get("/ui/sign-in").text)[0]
    answer = client.post("/ui/sign-in", data={"token": "not-a-token", "csrf": csrf})
    assert answer.status_code == 401
    assert alerts(answer.text) == ["the bearer token is not valid"]
    assert client.get("/ui", follow_redirects=False).headers["location"].startswith("/ui/sign-in")


def test_posts_without_the_sessions_csrf_value_or_from_another_origin_are_refused(
    org: Org,
) -> None:
    org.register()
    assert org.propose(ORDERS_BREAKING, who="maintainer").status_code == 201
    client, csrf = signed_in(org, "owner")
    for data, headers in [
        ({}, {}),
        ({"csrf": "0" * 64}, {}),
        ({"csrf": csrf}, {"Origin": "http://evil.example"}),
        ({"csrf": csrf}, {"Sec-Fetch-Site": "cross-site"}),
    ]:
        answer = client.post("/ui/change-requests/1/approve", data=data, headers=headers)
        assert answer.status_code == 403
        assert alerts(answer.text)[0].startswith("refused")
    assert org.get("owner", "/change-requests/1").json()["state"] == "proposed"
    answer = client.post("/ui/change-requests/1/approve", data={"csrf": csrf})
    assert answer.status_code == 200 and "Approved." in answer.text
    assert org.get("owner", "/change-requests/1").json()["state"] == "scheduled"


def test_the_catalogue_finds_products_by_column_name_and_column_description(org: Org) -> None:
    org.register(
        "sales.orders",
        "CREATE TABLE shop.orders (id BIGINT, amount INT);"
        "COMMENT ON COLUMN shop.orders.amount IS 'Gross value in euro';",
    )
    org.register("crm.customers", "CREATE TABLE crm.customers (id BIGINT, country TEXT);")
    client, _ = signed_in(org, "consumer")
    for query, found, missing in [
        ("country", "crm.customers", "sales.orders"),
        ("EURO", "sales.orders", "crm.customers"),
        ("orders amount", "sales.orders", "crm.customers"),
    ]:
        page = client.get("/ui", params={"q": query}).text
        assert f'href="/ui/products/{found}"' in page
        assert f'href="/ui/products/{missing}"' not in page
    assert "0 product(s) match" in client.get("/ui", params={"q": "nowhere"}).text


def test_a_consumer_who_subscribes_with_sql_is_told_when_it_reads_no_column(org: Org) -> None:
    org.register()
    client, csrf = signed_in(org, "consumer")
    answer = client.post(
        "/ui/products/sales.orders/subscribe",
        data={"csrf": csrf, "sql": "SELECT 1 FROM other.table", "email": "1"},
    )
    assert answer.status_code == 422
    assert alerts(answer.text) == ["the SQL reads no column of product 'sales.orders'"]
    answer = client.post(
        "/ui/products/sales.orders/subscribe",
        data={"csrf": csrf, "sql": "SELECT amount FROM shop.orders", "email": "1"},
    )
    assert answer.status_code == 200
    subs = org.get("consumer", "/products/sales.orders/subscriptions").json()
    assert [s["columns"] for s in subs] == [["shop.orders.amount"]]


def test_a_preview_writes_nothing_and_a_consumer_cannot_propose(org: Org) -> None:
    org.register()
    client, csrf = signed_in(org, "maintainer")
    data = {"csrf": csrf, "schema": ORDERS_BREAKING, "summary": "drop amount", "intent": "preview"}
    answer = client.post("/ui/products/sales.orders/propose", data=data)
    assert answer.status_code == 200 and "column removed" in answer.text
    assert org.get("owner", "/change-requests").json() == []
    assert org.get("owner", "/audit?product=sales.orders").json()[0]["action"] == "product.register"
    consumer, consumer_csrf = signed_in(org, "consumer")
    refused = consumer.post(
        "/ui/products/sales.orders/propose", data={**data, "csrf": consumer_csrf}
    )
    assert refused.status_code == 403
    assert "owner" in alerts(refused.text)[0]


def test_a_comment_and_a_decisions_reason_are_kept_and_shown_on_the_review_page(
    org: Org,
) -> None:
    org.register()
    assert org.propose(ORDERS_BREAKING, who="maintainer").status_code == 201
    consumer, csrf = signed_in(org, "consumer")
    answer = consumer.post(
        "/ui/change-requests/1/comment", data={"csrf": csrf, "body": "Which view replaces it?"}
    )
    assert answer.status_code == 200 and "Comment posted." in answer.text
    assert "Which view replaces it?" in answer.text
    stored = org.get("owner", "/change-requests/1/comments").json()
    assert [(c["author"], c["body"]) for c in stored] == [
        ("consumer@example.com", "Which view replaces it?")
    ]
    empty = consumer.post("/ui/change-requests/1/comment", data={"csrf": csrf, "body": "  "})
    assert empty.status_code == 422 and alerts(empty.text) == ["a comment needs some text"]
    owner, csrf = signed_in(org, "owner")
    answer = owner.post(
        "/ui/change-requests/1/reject", data={"csrf": csrf, "comment": "use a view instead"}
    )
    assert answer.status_code == 200 and "Rejected." in answer.text
    decided = org.get("owner", "/change-requests/1").json()
    assert decided["state"] == "rejected" and decided["decision_reason"] == "use a view instead"
