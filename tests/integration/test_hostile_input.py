"""Hostile input on every door that reads text, on SQLite and PostgreSQL: each answer is a 4xx
in the one error shape, no row is written, and the server goes on serving."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.api import create_app
from service.settings import Settings
from service.store.tables import Base
from service.usecases.auth import create_token
from tests.integration.conftest import ORDERS_COMPATIBLE, ORDERS_V1, PEOPLE, Clock, Org

Body = Callable[[str], Any]  # one hostile text -> the JSON body that carries it


def _nest(open_: str, inner: str, close: str, depth: int = 600) -> str:
    return open_ * depth + inner + close * depth


#: Deep nesting of each SQL construct sqlglot reads recursively (as DDL, or as a query); each
#: DDL fits the tests' 20,000-byte schema bound, so the nesting, not the size, is refused.
DEEP_DDL = {
    "check-parens": "CREATE TABLE shop.orders (id INT CHECK " + _nest("(", "id > 0", ")") + ")",
    "default-parens": "CREATE TABLE shop.orders (id INT DEFAULT " + _nest("(", "1", ")") + ")",
    "check-not": "CREATE TABLE shop.orders (id INT CHECK (" + "NOT " * 2000 + "id > 0))",
    "check-case": "CREATE TABLE shop.orders (id INT CHECK ("
    + "CASE WHEN id > 0 THEN " * 600
    + "1"
    + " END" * 600
    + " > 0))",
    "default-calls": "CREATE TABLE shop.orders (id INT DEFAULT " + _nest("abs(", "1", ")") + ")",
    "default-casts": "CREATE TABLE shop.orders (id INT DEFAULT "
    + _nest("CAST(", "1", " AS INT)")
    + ")",
    "default-unary-minus": "CREATE TABLE shop.orders (id INT DEFAULT " + "- " * 3000 + "1)",
    "nested-types": "CREATE TABLE shop.orders (id " + _nest("ARRAY<", "INT", ">") + ")",
    "array-brackets": "CREATE TABLE shop.orders (id INT DEFAULT " + _nest("ARRAY[", "1", "]") + ")",
    "subquery-in-check": "CREATE TABLE shop.orders (id INT CHECK (id IN "
    + _nest("(SELECT id FROM shop.orders WHERE id IN ", "(1)", ")", 300)
    + "))",
}
DEEP_SQL = {
    "subqueries": "SELECT amount FROM " + _nest("(SELECT amount FROM ", "shop.orders", ") AS x"),
    "parens": "SELECT " + _nest("(", "amount", ")") + " FROM shop.orders",
    "not": "SELECT amount FROM shop.orders WHERE " + "NOT " * 5000 + "amount > 0",
    "case": "SELECT "
    + "CASE WHEN amount > 0 THEN " * 2000
    + "amount"
    + " END" * 2000
    + " FROM shop.orders",
    "calls": "SELECT " + _nest("coalesce(", "amount", ")") + " FROM shop.orders",
    "in-subqueries": "SELECT amount FROM shop.orders WHERE id IN "
    + _nest("(SELECT id FROM shop.orders WHERE id IN ", "(1)", ")"),
    "ctes": "WITH "
    + ", ".join(
        f"c{i} AS (SELECT * FROM {'c' + str(i - 1) if i else 'shop.orders'})" for i in range(3000)
    )
    + " SELECT amount FROM c499 WHERE "
    + "NOT " * 5000
    + "1 = 1",
}
#: Characters no text field takes (PostgreSQL cannot store NUL; the others hide what a text says).
CONTROL = {"nul": "\x00", "bell": "\x07", "escape": "\x1b", "del": "\x7f"}


@dataclass
class Door:
    """A route that reads a text: who may call it and the body that carries the text."""

    who: str
    path: str
    body: Body
    setup: Callable[[Org], None] = field(default=lambda org: None)


def _no_open_cr(org: Org) -> None:
    for cr in org.get("owner", "/change-requests?product=sales.orders").json():
        if cr["state"] == "proposed":
            org.post("owner", f"/change-requests/{cr['id']}/withdraw")


DDL_DOORS = {
    "diff-old": Door(
        "consumer", "/diff", lambda t: {"old": t, "new": ORDERS_V1, "dialect": "postgres"}
    ),
    "diff-new": Door(
        "consumer", "/diff", lambda t: {"old": ORDERS_V1, "new": t, "dialect": "duckdb"}
    ),
    "propose": Door(
        "owner",
        "/products/sales.orders/change-requests",
        lambda t: {"schema": t, "summary": "hostile"},
        _no_open_cr,
    ),
    "register": Door(
        "admin",
        "/products",
        lambda t: {
            "name": "x.y",
            "owners": ["owner@example.com"],
            "dialect": "bigquery",
            "schema": t,
        },
    ),
}
SQL_DOORS = {
    "subscribe-sql": Door("consumer", "/products/sales.orders/subscriptions", lambda t: {"sql": t}),
    "lineage-sql": Door(
        "admin", "/lineage/sql", lambda t: {"name": "v", "sql": t, "dialect": "postgres"}
    ),
    "register-view": Door(
        "admin",
        "/products",
        lambda t: {
            "name": "x.view",
            "owners": ["owner@example.com"],
            "dialect": "postgres",
            "schema": "CREATE TABLE x.view (amount INT)",
            "sql": t,
        },
    ),
}
TEXT_DOORS = {
    "summary": Door(
        "owner",
        "/products/sales.orders/change-requests",
        lambda t: {"schema": ORDERS_COMPATIBLE, "summary": f"a{t}b"},
        _no_open_cr,
    ),
    "description": Door(
        "admin",
        "/products",
        lambda t: {
            "name": "x.y",
            "description": f"a{t}b",
            "owners": ["owner@example.com"],
            "dialect": "postgres",
            "schema": ORDERS_V1,
        },
    ),
    "quoted-column": Door(
        "owner",
        "/products/sales.orders/change-requests",
        lambda t: {
            "schema": ORDERS_V1.replace("note VARCHAR(100)", f'"no{t}te" VARCHAR(100)'),
            "summary": "s",
        },
        _no_open_cr,
    ),
    "subscription-sql": Door(
        "consumer",
        "/products/sales.orders/subscriptions",
        lambda t: {"sql": f"SELECT amount /*{t}*/ FROM shop.orders"},
    ),
    "subscription-column": Door(
        "consumer", "/products/sales.orders/subscriptions", lambda t: {"columns": [f"am{t}ount"]}
    ),
    "channel": Door(
        "consumer",
        "/products/sales.orders/subscriptions",
        lambda t: {"channels": [f"https://example.com/h{t}ook"]},
    ),
    "owner-email": Door(
        "admin",
        "/products",
        lambda t: {
            "name": "x.y",
            "owners": [f"o{t}@example.com"],
            "dialect": "postgres",
            "schema": ORDERS_V1,
        },
    ),
    "openlineage-job": Door(
        "admin",
        "/api/v1/lineage",
        lambda t: {"job": {"namespace": "n", "name": f"j{t}"}, "run": {"runId": "r"}},
    ),
    "dbt-node": Door(
        "admin",
        "/lineage/dbt",
        lambda t: {"nodes": {f"model.p.m{t}": {"resource_type": "model"}}},
    ),
    "rename-hint": Door(
        "owner",
        "/products/sales.orders/change-requests",
        lambda t: {"schema": ORDERS_COMPATIBLE, "summary": "s", "renames": {f"a{t}": "b"}},
        _no_open_cr,
    ),
}


def _rows(app: FastAPI) -> dict[str, int]:
    """Row count of every table but the audit log's token records (nothing else may change)."""
    with app.state.steward.db.reading() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


@pytest.fixture
def hostile(org: Org) -> Org:
    """A product with a subscription and an open change request."""
    org.register()
    org.post("consumer", "/products/sales.orders/subscriptions", {"columns": ["amount"]})
    assert org.propose(ORDERS_COMPATIBLE).status_code == 201
    return org


def _refused(app: FastAPI, org: Org, door: Door, body: Any, **request: Any) -> dict[str, Any]:
    """Send a hostile body through a door: a 4xx in the one shape, nothing written, still up."""
    door.setup(org)
    before = _rows(app)
    if "content" in request:
        response = org.client.post(
            door.path, headers={**org.h(door.who), **request.pop("headers", {})}, **request
        )
    else:
        response = org.client.post(door.path, json=body, headers=org.h(door.who))
    assert 400 <= response.status_code < 500, response.text[:500]
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    assert _rows(app) == before
    assert org.client.get("/health").json()["status"] == "ok"
    assert org.get("consumer", "/products/sales.orders").status_code == 200
    return error


DEEP_CASES = [
    pytest.param(door, text, id=f"{d}-{t}")
    for d, door in DDL_DOORS.items()
    for t, text in DEEP_DDL.items()
] + [
    pytest.param(door, text, id=f"{d}-{t}")
    for d, door in SQL_DOORS.items()
    for t, text in DEEP_SQL.items()
]


@pytest.mark.parametrize(("door", "text"), DEEP_CASES)
def test_deep_nesting_is_refused_in_words(
    app: FastAPI, hostile: Org, door: Door, text: str
) -> None:
    error = _refused(app, hostile, door, door.body(text))
    assert error["code"] in {"schema_parse_error", "invalid_input"}
    assert "nest" in error["message"] or "deep" in error["message"], error["message"]


CONTROL_CASES = [
    pytest.param(door, char, id=f"{d}-{c}")
    for d, door in TEXT_DOORS.items()
    for c, char in CONTROL.items()
]


@pytest.mark.parametrize(("door", "char"), CONTROL_CASES)
def test_control_characters_are_refused_in_words(
    app: FastAPI, hostile: Org, door: Door, char: str
) -> None:
    error = _refused(app, hostile, door, door.body(char))
    assert error["code"] in {"invalid_input", "schema_parse_error"}
    assert "control character" in json.dumps(error) or "U+" in json.dumps(error), error


@pytest.mark.parametrize("door", list(TEXT_DOORS.values()), ids=list(TEXT_DOORS))
def test_lone_surrogates_are_refused_in_words(app: FastAPI, hostile: Org, door: Door) -> None:
    # json.dumps writes the lone surrogate as the escape \ud800, as a hostile client would
    raw = json.dumps(door.body("\ud800")).encode()
    error = _refused(
        app, hostile, door, None, content=raw, headers={"Content-Type": "application/json"}
    )
    assert error["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("truncated", b'{"old": "CREATE'),
        ("not-json", b"CREATE TABLE t (a INT)"),
        ("invalid-utf8", b'{"old": "\xff\xfe", "new": "x", "dialect": "postgres"}'),
        ("deep-arrays", b"[" * 100_000 + b"]" * 100_000),
        ("deep-objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        ("nan", b'{"old": NaN, "new": "x", "dialect": "postgres"}'),
        ("empty", b""),
    ],
)
def test_malformed_bodies_are_400_or_422(app: FastAPI, hostile: Org, name: str, raw: bytes) -> None:
    door = DDL_DOORS["diff-old"]
    error = _refused(
        app, hostile, door, None, content=raw, headers={"Content-Type": "application/json"}
    )
    assert error["code"] in {"invalid_json", "invalid_input"}


def test_a_huge_in_list_is_bounded_by_the_schema_size(app: FastAPI, hostile: Org) -> None:
    items = ",".join(str(i) for i in range(200_000))
    text = f"CREATE TABLE shop.orders (id INT CHECK (id IN ({items})))"
    error = _refused(app, hostile, DDL_DOORS["propose"], DDL_DOORS["propose"].body(text))
    assert "bytes" in error["message"]


def test_a_huge_body_is_413_before_the_token_is_looked_at(app: FastAPI, hostile: Org) -> None:
    limit = app.state.steward.settings.max_body_bytes
    door = Door("consumer", "/diff", lambda t: None)
    raw = b" " * (limit + 1)
    for who in ("consumer", None):
        response = hostile.client.post(
            door.path, content=raw, headers={**hostile.h(who), "Content-Type": "application/json"}
        )
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "too_large"


def test_a_streamed_body_without_length_is_cut_at_the_bound(app: FastAPI, hostile: Org) -> None:
    limit = app.state.steward.settings.max_body_bytes
    sent = 0

    def chunks() -> Any:
        nonlocal sent
        while sent <= 4 * limit:
            sent += 64_000
            yield b" " * 64_000

    response = hostile.client.post(
        "/diff", content=chunks(), headers={**hostile.h(None), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert hostile.client.get("/health").status_code == 200


def test_a_5_mb_summary_is_refused(app: FastAPI, hostile: Org) -> None:
    door = TEXT_DOORS["summary"]
    error = _refused(app, hostile, door, {"schema": ORDERS_COMPATIBLE, "summary": "s" * 5_000_000})
    assert error["code"] in {"invalid_input", "too_large"}


def test_ten_thousand_channels_are_refused(app: FastAPI, hostile: Org) -> None:
    door = TEXT_DOORS["channel"]
    channels = [f"https://example.com/hook/{i}" for i in range(10_000)]
    error = _refused(app, hostile, door, {"channels": channels})
    assert error["details"]["errors"][0]["field"] == "channels"


def _event(name: str = "j") -> bytes:
    body = {"eventType": "COMPLETE", "job": {"namespace": "n", "name": name}, "run": {"runId": "r"}}
    return json.dumps(body).encode()


def test_a_gzip_openlineage_event_is_accepted(hostile: Org) -> None:
    headers = {
        **hostile.h("admin"),
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    response = hostile.client.post(
        "/api/v1/lineage", content=gzip.compress(_event()), headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "n/j"


@pytest.mark.parametrize(
    ("name", "raw", "status"),
    [
        ("bomb", gzip.compress(b" " * 60_000_000, compresslevel=9), 413),
        ("not-gzip", _event(), 400),
        ("truncated", gzip.compress(_event())[:-12], 400),
    ],
)
def test_bad_gzip_bodies_are_refused(
    app: FastAPI, hostile: Org, name: str, raw: bytes, status: int
) -> None:
    door = Door("admin", "/api/v1/lineage", lambda t: None)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    error = _refused(app, hostile, door, None, content=raw, headers=headers)
    assert error["code"] in {"too_large", "bad_request"}
    response = hostile.client.post(
        "/api/v1/lineage", content=raw, headers={**hostile.h("admin"), **headers}
    )
    assert response.status_code == status


def test_an_unknown_content_encoding_is_415(hostile: Org) -> None:
    response = hostile.client.post(
        "/api/v1/lineage",
        content=_event(),
        headers={
            **hostile.h("admin"),
            "Content-Type": "application/json",
            "Content-Encoding": "br",
        },
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_encoding"


@pytest.mark.parametrize(
    "path",
    [
        "/products/a%00b",
        "/products/a%00b/versions",
        "/products/sales.orders/versions/1.0.%00",
        "/change-requests?product=a%00b",
        "/audit?product=a%00b",
        "/products/a%00b/subscriptions",
    ],
)
def test_nul_in_a_path_or_query_is_refused(hostile: Org, path: str) -> None:
    response = hostile.get("admin", path)
    assert response.status_code in {404, 422}, response.text
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_405_names_every_method_the_path_allows(hostile: Org) -> None:
    response = hostile.client.request("DELETE", "/products", headers=hostile.h("admin"))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://localhost:5432/",
        "http://[::1]:8231/hooks",
        "http://10.0.0.1/admin",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://0.0.0.0:8000/",
        "http://224.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://127.1/",
        "http://2130706433/",
        "https://127.0.0.1:443/hook",
        "http://100.64.0.1/",
    ],
)
def test_webhooks_inside_the_network_are_refused_when_subscribing(
    app: FastAPI, hostile: Org, url: str
) -> None:
    door = TEXT_DOORS["channel"]
    error = _refused(app, hostile, door, {"channels": ["email", url]})
    assert error["details"]["field"] == "channels"
    assert "address" in error["message"]


# -- slow inputs: every door's heavy step runs in the worker, under the deadline --------------


#: about 300 KB of DDL, far more than a few milliseconds of parsing (unique per test: no
#: worker has it cached)
def _big_ddl() -> str:
    return f"-- {uuid.uuid4().hex}\n" + "\n".join(
        f"CREATE TABLE big.t{i} ("
        + ", ".join(f"c{j} VARCHAR({j + 1}) NOT NULL" for j in range(40))
        + ");"
        for i in range(300)
    )


#: a reader's SQL that takes far more than the deadline to read and rewrite: about half a
#: second, well past the pool's deadline check (pebble looks every 0.1 s, so a task of
#: 0.12 s can finish before a 0.05 s deadline is noticed)
SLOW_SQL = (
    "SELECT "
    + ", ".join(f"amount + {i} AS a{i}, note AS n{i}" for i in range(1200))
    + " FROM shop.orders"
)
#: the deadline a door's heavy step is held to once the organisation is set up
TIGHT = 0.05


@pytest.fixture
def roomy(database_url: str, clock: Clock) -> Iterator[tuple[FastAPI, Org]]:
    """The API with room for large schemas and real parse workers, and an organisation on it
    with a product, a consumer whose subscription runs SLOW_SQL, and a breaking proposal."""
    app = create_app(
        Settings(
            database_url=database_url,
            scheduler=False,
            max_schema_bytes=2_000_000,
            parse_timeout_seconds=120,
        ),
        clock=clock,
    )
    with TestClient(app) as client:
        tokens = {}
        with app.state.steward.db.writing() as session:
            for key, (email, admin) in PEOPLE.items():
                tokens[key] = create_token(session, email=email, admin=admin, now=clock())[1]
        org = Org(client, tokens)
        org.register()
        response = org.post("consumer", "/products/sales.orders/subscriptions", {"sql": SLOW_SQL})
        assert response.status_code == 201, response.text
        assert (
            org.propose(ORDERS_V1.replace("  note VARCHAR(100)\n", "  note TEXT\n")).status_code
            == 201
        )
        yield app, org
    app.state.steward.db.dispose()


def _tighten(app: FastAPI) -> None:
    app.state.steward.worker.timeout = TIGHT


def _past_the_deadline(error: dict[str, Any]) -> None:
    assert error["code"] == "deadline_exceeded", error
    assert f"longer than {TIGHT:g} s" in error["message"]


def _manifest(models: int) -> dict[str, Any]:
    nodes = {
        f"model.shop.m{i}": {
            "resource_type": "model",
            "database": "db",
            "schema": "analytics",
            "name": f"m{i}",
            "compiled_code": "SELECT o.amount, o.note, c.id FROM shop.orders AS o "
            f"JOIN analytics.m{max(i - 1, 0)} AS c ON c.id = o.id WHERE o.amount > {i}",
            "depends_on": {"nodes": []},
        }
        for i in range(models)
    }
    return {"metadata": {"project_name": "slow"}, "nodes": nodes}


def _slow_event(outputs: int) -> dict[str, Any]:
    fields = {
        f"c{j}": {"inputFields": [{"namespace": "n", "name": "shop.orders", "field": "amount"}]}
        for j in range(10)
    }
    return {
        "eventType": "COMPLETE",
        "job": {"namespace": "n", "name": "slow"},
        "run": {"runId": "r"},
        "inputs": [{"namespace": "n", "name": "shop.orders"}],
        "outputs": [
            {"namespace": "n", "name": f"out.t{i}", "facets": {"columnLineage": {"fields": fields}}}
            for i in range(outputs)
        ],
    }


SLOW_DOORS = {
    "register-schema": (
        "admin",
        "/products",
        lambda: {
            "name": "big.x",
            "owners": ["owner@example.com"],
            "dialect": "postgres",
            "schema": _big_ddl(),
        },
    ),
    "register-view": (
        "admin",
        "/products",
        lambda: {
            "name": "x.view",
            "owners": ["owner@example.com"],
            "dialect": "postgres",
            "schema": "CREATE TABLE x.view (amount INT, note TEXT)",
            "sql": SLOW_SQL,
        },
    ),
    "propose-schema": (
        "owner",
        "/products/sales.orders/change-requests",
        lambda: {"schema": _big_ddl(), "summary": "big"},
    ),
    # a small change: what is slow is the migration path of the slow subscription's SQL
    "propose-migration": (
        "owner",
        "/products/sales.orders/change-requests",
        lambda: {
            "schema": ORDERS_V1.replace("note VARCHAR(100)", "note VARCHAR(50)"),
            "summary": "s",
        },
    ),
    "lineage-sql": (
        "admin",
        "/lineage/sql",
        lambda: {"name": "v", "sql": SLOW_SQL, "dialect": "postgres"},
    ),
    "check-gate": ("consumer", "/products/sales.orders/check", lambda: {"schema": _big_ddl()}),
    "lineage-dbt": ("admin", "/lineage/dbt", lambda: _manifest(400)),
    "openlineage": ("admin", "/api/v1/lineage", lambda: _slow_event(1000)),
}


@pytest.mark.parametrize("door", list(SLOW_DOORS))
def test_a_slow_input_is_refused_at_the_deadline_on_every_door(
    roomy: tuple[FastAPI, Org], door: str
) -> None:
    app, org = roomy
    who, path, body = SLOW_DOORS[door]
    if path.endswith("/change-requests"):
        _no_open_cr(org)
    _tighten(app)
    error = _refused(app, org, Door(who, path, lambda t: None), body())
    _past_the_deadline(error)


def test_the_migration_path_is_computed_under_the_deadline(roomy: tuple[FastAPI, Org]) -> None:
    app, org = roomy
    (cr,) = org.get("owner", "/change-requests?product=sales.orders").json()
    assert org.get("owner", f"/change-requests/{cr['id']}/migration").status_code == 200
    _tighten(app)
    response = org.get("owner", f"/change-requests/{cr['id']}/migration")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    _past_the_deadline(error)
    assert org.client.get("/health").json()["status"] == "ok"
    assert org.get("consumer", "/products/sales.orders").status_code == 200
