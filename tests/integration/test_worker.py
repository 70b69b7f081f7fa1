"""Parsing and diffing run in worker processes under a deadline: an input that takes too long
is refused in words, a worker that dies is replaced, and the API keeps answering."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api import create_app
from service.api.worker import Worker
from service.errors import DeadlineExceeded, SchemaParseError
from service.settings import Settings

from .conftest import ORDERS_COMPATIBLE, ORDERS_V1, Clock

#: about 800 KB of DDL: 800 tables of 40 columns, far more than a few milliseconds of work
BIG = "\n".join(
    f"CREATE TABLE t{i} (" + ", ".join(f"c{j} VARCHAR({j + 1}) NOT NULL" for j in range(40)) + ");"
    for i in range(800)
)


@pytest.fixture
def tight(tmp_path: object, clock: Clock) -> Iterator[FastAPI]:
    """The API with a deadline no real parse of BIG can meet."""
    app = create_app(
        Settings(
            database_url=f"sqlite:///{tmp_path}/w.db",
            scheduler=False,
            parse_timeout_seconds=0.05,
            max_schema_bytes=2_000_000,
        ),
        clock=clock,
    )
    yield app
    app.state.steward.db.dispose()


def test_a_diff_past_the_deadline_is_refused_in_words(tight: FastAPI) -> None:
    from service.usecases.auth import create_token

    with tight.state.steward.db.writing() as session:
        token = create_token(session, email="a@example.com", now=Clock()())[1]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(tight) as client:
        body = {"old": BIG, "new": BIG.replace("VARCHAR(3)", "VARCHAR(2)"), "dialect": "postgres"}
        response = client.post("/diff", json=body, headers=headers)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "deadline_exceeded"
        assert "longer than 0.05 s" in error["message"]
        assert client.get("/health").status_code == 200


def test_the_worker_answers_as_the_engine_does_and_keeps_error_details() -> None:
    from service.diff.compare import compare_report

    worker, inline = Worker(1, 60), Worker(0, 0)
    args = (ORDERS_V1, ORDERS_COMPATIBLE)
    assert worker.run(compare_report, *args, dialect="postgres") == inline.run(
        compare_report, *args, dialect="postgres"
    )
    with pytest.raises(SchemaParseError) as raised:
        worker.run(compare_report, ORDERS_V1, "CREATE TABLE t (\n  a INT,,\n)", dialect="postgres")
    assert (raised.value.line, raised.value.dialect) == (2, "postgres")


def test_a_worker_that_dies_is_a_refusal_and_is_replaced() -> None:
    worker = Worker(1, 60)
    with pytest.raises(DeadlineExceeded, match="crash"):
        worker.run(os._exit, 3)  # the worker process ends mid-task, as a crash would
    assert worker.run(sum, [1, 2, 3]) == 6


def test_workers_yield_the_cpu_to_the_api() -> None:
    from service.api.worker import NICENESS

    # os.nice(0) answers the process's niceness without changing it
    assert Worker(1, 60).run(os.nice, 0) >= min(19, os.nice(0) + NICENESS)


def test_a_diff_body_the_worker_refuses_is_the_apis_validation_error(tight: FastAPI) -> None:
    from service.usecases.auth import create_token

    with tight.state.steward.db.writing() as session:
        token = create_token(session, email="a@example.com", now=Clock()())[1]
    headers = {"Authorization": f"Bearer {token}"}
    tight.state.steward.worker.timeout = 60  # refused for what it is, not for the time taken
    with TestClient(tight) as client:
        body = {"old": ORDERS_V1, "new": "a\x00b", "dialect": "postgres", "extra": 1}
        response = client.post("/diff", json=body, headers=headers)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        fields = {e["field"] for e in error["details"]["errors"]}
        assert fields == {"new", "extra"}
        assert "control character U+0000" in json.dumps(error)
        schema = client.get("/openapi.json").json()["paths"]["/diff"]["post"]["requestBody"]
        assert schema["content"]["application/json"]["schema"]["required"] == [
            "old",
            "new",
            "dialect",
        ]
