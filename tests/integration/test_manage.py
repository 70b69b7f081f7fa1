"""Managing products, tokens and subscriptions through the API on SQLite and PostgreSQL:
PATCH /products/{name}, GET /me, /tokens (list, revoke, expiry), duplicate subscriptions."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from service.usecases.auth import create_token

from .conftest import ORDERS_BREAKING, ORDERS_V1, PEOPLE, Clock, Org


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_owners_and_admins_edit_a_product_and_the_edit_is_audited(org: Org) -> None:
    org.register()
    body = {
        "description": "Every order",
        "owners": ["owner@example.com", "co-owner@example.com"],
        "maintainers": [],
        "notice_period": "P21D",
        "reminders": ["P3D"],
        "require_distinct_approver": True,
        "waive_notice_without_readers": True,
        "slas": {"freshness": "PT1H"},
    }
    edited = _ok(org.client.patch("/products/sales.orders", json=body, headers=org.h("owner")))
    assert edited["owners"] == ["owner@example.com", "co-owner@example.com"]
    assert (edited["maintainers"], edited["notice_period"], edited["reminders"]) == (
        [],
        "P21D",
        ["P3D"],
    )
    assert edited["slas"] == {"freshness": "PT1H"} and edited["waive_notice_without_readers"]
    assert _ok(org.get("consumer", "/products/sales.orders")) == edited
    audit = _ok(org.get("admin", "/audit?product=sales.orders"))
    entry = next(a for a in audit if a["action"] == "product.edit")
    assert entry["before"]["notice_period"] == "P14D" and entry["after"]["notice_period"] == "P21D"
    # The co-owner is an owner now; the former maintainer may no longer propose.
    assert org.propose(ORDERS_BREAKING, who="maintainer").status_code == 403
    admin = org.client.patch(
        "/products/sales.orders", json={"description": "x"}, headers=org.h("admin")
    )
    assert admin.status_code == 200


def test_only_owners_and_admins_edit_and_bad_edits_are_refused(org: Org) -> None:
    org.register()
    for who in ("maintainer", "consumer", "other_owner"):
        response = org.client.patch(
            "/products/sales.orders", json={"description": "x"}, headers=org.h(who)
        )
        assert response.status_code == 403, who
    for bad in (
        {"owners": []},
        {"notice_period": "14 days"},
        {"reminders": ["P1D", "P1D"]},
        {"colour": "red"},
    ):
        response = org.client.patch("/products/sales.orders", json=bad, headers=org.h("owner"))
        assert response.status_code == 422, bad
    assert org.client.patch("/products/nope", json={}, headers=org.h("owner")).status_code == 404


def test_a_period_is_not_shortened_while_a_breaking_change_is_scheduled(org: Org) -> None:
    org.register()
    cr = _ok(org.propose(ORDERS_BREAKING), 201)
    _ok(org.post("owner", f"/change-requests/{cr['id']}/approve"))
    shorter = org.client.patch(
        "/products/sales.orders", json={"notice_period": "P1D"}, headers=org.h("owner")
    )
    assert shorter.status_code == 409
    assert "never move earlier" in shorter.json()["error"]["message"]
    longer = org.client.patch(
        "/products/sales.orders", json={"notice_period": "P30D"}, headers=org.h("owner")
    )
    assert longer.status_code == 200


def test_me_shows_the_callers_roles_and_subscriptions(org: Org) -> None:
    org.register()
    _ok(org.post("consumer", "/products/sales.orders/subscriptions", {}), 201)
    assert _ok(org.get("owner", "/me"))["owner_of"] == ["sales.orders"]
    assert _ok(org.get("maintainer", "/me"))["maintainer_of"] == ["sales.orders"]
    me = _ok(org.get("consumer", "/me"))
    assert (me["email"], me["is_admin"], me["subscribed_to"]) == (
        "consumer@example.com",
        False,
        ["sales.orders"],
    )
    assert _ok(org.get("admin", "/me"))["is_admin"] is True
    assert org.get(None, "/me").status_code == 401


def test_tokens_are_listed_without_secrets_revoked_and_expire(
    org: Org, app: FastAPI, clock: Clock
) -> None:
    with app.state.steward.db.writing() as session:
        _, short = create_token(
            session,
            email="consumer@example.com",
            now=clock(),
            expires_at=clock() + timedelta(days=1),
        )
    mine = _ok(org.get("consumer", "/tokens"))
    assert [t["email"] for t in mine] == ["consumer@example.com"] * 2
    assert all("token" not in t and "token_hash" not in t for t in mine)
    assert org.get("consumer", "/tokens?email=owner@example.com").status_code == 403
    assert len(_ok(org.get("admin", "/tokens?email=owner@example.com"))) == 1

    headers = {"Authorization": f"Bearer {short}"}
    assert org.client.get("/me", headers=headers).status_code == 200
    clock.advance(days=1)
    expired = org.client.get("/me", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]

    owner_token = _ok(org.get("owner", "/tokens"))[0]["id"]
    assert org.client.delete(f"/tokens/{owner_token}", headers=org.h("consumer")).status_code == 404
    revoked = _ok(org.client.delete(f"/tokens/{owner_token}", headers=org.h("owner")))
    assert revoked["revoked_at"] is not None
    assert org.get("owner", "/me").status_code == 401


def test_a_second_identical_subscription_is_refused_naming_the_first(org: Org) -> None:
    org.register()
    body = {"columns": ["shop.orders.amount"]}
    first = _ok(org.post("consumer", "/products/sales.orders/subscriptions", body), 201)
    again = org.post("consumer", "/products/sales.orders/subscriptions", body)
    assert again.status_code == 409
    assert again.json()["error"]["details"]["subscription"] == first["id"]
    assert f"#{first['id']}" in again.json()["error"]["message"]
    other = org.post(
        "consumer", "/products/sales.orders/subscriptions", {"columns": ["shop.orders.id"]}
    )
    assert other.status_code == 201
    someone_else = org.post("consumer2", "/products/sales.orders/subscriptions", body)
    assert someone_else.status_code == 201
    listed = _ok(org.get("owner", "/products/sales.orders/subscriptions"))
    assert len(listed) == 3


def _walk(org: Org, path: str, limit: int) -> tuple[list[Any], int]:
    """Every item of a list route, following X-Next-Cursor; and how many pages it took."""
    items: list[Any] = []
    pages = 0
    url = f"{path}{'&' if '?' in path else '?'}limit={limit}"
    while True:
        response = org.get("admin", url)
        assert response.status_code == 200, response.text
        items += response.json()
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            assert "Link" not in response.headers
            return items, pages
        assert response.headers["Link"].endswith('; rel="next"')
        url = f"{path}{'&' if '?' in path else '?'}limit={limit}&cursor={cursor}"


def test_list_routes_paginate_with_a_limit_and_a_cursor(org: Org) -> None:
    for i in range(5):
        org.register(name=f"p{i}.orders")
    for who in ("consumer", "consumer2"):
        for i in range(3):
            _ok(
                org.post(
                    who,
                    "/products/p0.orders/subscriptions",
                    {"columns": [f"shop.orders.{c}" for c in ("id", "amount", "note")[: i + 1]]},
                ),
                201,
            )
    products, pages = _walk(org, "/products", 2)
    assert [p["name"] for p in products] == [f"p{i}.orders" for i in range(5)] and pages == 3
    subs, pages = _walk(org, "/products/p0.orders/subscriptions", 4)
    assert len({s["id"] for s in subs}) == 6 and pages == 2
    audit, _ = _walk(org, "/audit", 3)
    ids = [a["id"] for a in audit]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids)) >= 11
    for i in range(3):
        _ok(org.propose(ORDERS_BREAKING, product=f"p{i}.orders"), 201)
    crs, pages = _walk(org, "/change-requests", 2)
    assert [c["product"] for c in crs] == ["p2.orders", "p1.orders", "p0.orders"] and pages == 2
    notices, _ = _walk(org, f"/change-requests/{crs[-1]['id']}/notices", 1)
    assert len(notices) == len(_ok(org.get("admin", f"/change-requests/{crs[-1]['id']}/notices")))
    for bad in ("cursor=%%%", "cursor=bm90anNvbg", "limit=0", "limit=501"):
        assert org.get("admin", f"/products?{bad}").status_code == 422, bad

    def cursor(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()

    for path, foreign in (("/products", 5), ("/audit", "p0.orders"), ("/audit", 10**30)):
        answer = org.get("admin", f"{path}?cursor={cursor(foreign)}")
        assert answer.status_code == 422, (path, foreign, answer.text)


def test_comments_tokens_and_versions_paginate_like_every_list(
    org: Org, app: FastAPI, clock: Clock
) -> None:
    org.register()
    for i in range(3):  # three releases: 1.0.0 .. 1.3.0
        added = ",\n  ".join(f"extra_{j} TEXT" for j in range(i + 1))
        cr = _ok(
            org.propose(ORDERS_V1.replace("note VARCHAR(100)", f"note VARCHAR(100),\n  {added}")),
            201,
        )
        _ok(org.post("owner", f"/change-requests/{cr['id']}/approve"))
    versions, pages = _walk(org, "/products/sales.orders/versions", 2)
    assert [v["version"] for v in versions] == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
    assert pages == 2
    cr = _ok(org.propose(ORDERS_BREAKING), 201)
    for i in range(5):
        _ok(org.post("consumer", f"/change-requests/{cr['id']}/comments", {"body": f"c{i}"}), 201)
    remarks, pages = _walk(org, f"/change-requests/{cr['id']}/comments", 2)
    assert [c["body"] for c in remarks] == [f"c{i}" for i in range(5)] and pages == 3
    with app.state.steward.db.writing() as session:
        for _ in range(3):
            create_token(session, email="admin@example.com", admin=True, now=clock())
    tokens, pages = _walk(org, "/tokens", 3)
    # an admin lists everyone's: one per person of the fixture, and three more
    assert len({t["id"] for t in tokens}) == len(PEOPLE) + 3 == 10 and pages == 4
    ids = [t["id"] for t in tokens]
    assert ids == sorted(ids)
    mine, _ = _walk(org, "/tokens?email=consumer@example.com", 1)
    assert [t["email"] for t in mine] == ["consumer@example.com"]
    for path in (
        "/tokens",
        "/products/sales.orders/versions",
        f"/change-requests/{cr['id']}/comments",
    ):
        assert org.get("admin", f"{path}?limit=0").status_code == 422, path
        assert org.get("admin", f"{path}?cursor=%%%").status_code == 422, path


def test_a_nul_character_in_words_is_a_422_on_both_stores(org: Org) -> None:
    org.register()
    cr = _ok(org.propose(ORDERS_BREAKING), 201)
    for path, body in (
        (f"/change-requests/{cr['id']}/comments", {"body": "a\x00b"}),
        (f"/change-requests/{cr['id']}/reject", {"reason": "a\x00b"}),
    ):
        assert org.post("owner", path, body).status_code == 422, path
    patch = org.client.patch(
        "/products/sales.orders", json={"slas": {"a\x00": "b"}}, headers=org.h("owner")
    )
    assert patch.status_code == 422
    assert _ok(org.get("owner", f"/change-requests/{cr['id']}"))["state"] == "proposed"
