"""Property: over random schemas, readers and changes, the people told through every door
(`steward diff --downstream`, `POST /products/{name}/change-requests`, the notices queued in
the store) are exactly those the lineage graph says are reached.

The expected set is worked out independently of the service: a lineage graph is built with
the lineage package from the same readers, the generated change is given as the lineage
change it is (named by the OLD schema), and each object reached is mapped to its contact
from the generated data (a subscriber, a product's owner, an exposure's owner, a job's
owner, else the changed product's owner).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lineage import ColumnChange, LineageGraph, impact
from service.cli import main
from service.store.tables import NoticeRow
from service.usecases.auth import create_token
from tests.integration.conftest import Clock, Org

CONSUMERS = [f"reader{i}@example.com" for i in range(4)]
OWNER = "owner@example.com"
PEOPLE = [f"person{i}@example.com" for i in range(4)]
_counter = itertools.count(1)


@dataclass
class World:
    """One random product, its readers and one change."""

    n: int
    columns: list[str]
    subs: list[tuple[str, list[str] | None, bool, bool]]  # (consumer, columns, by SQL?, all?)
    views: list[list[str]]
    products: list[tuple[list[str], str]]  # (columns, owner)
    models: list[tuple[list[str], str | None]]  # (columns, exposure owner or no exposure)
    jobs: list[tuple[str, str]]  # (column, owner)
    change: tuple[str, int]  # (kind, column index)
    readers: dict[str, str] = field(default_factory=dict)  # lineage object -> contact

    @property
    def table(self) -> str:
        return f"s{self.n}.t"

    def ddl(self, columns: list[str], table: str | None = None) -> str:
        body = ", ".join(f"{c} BIGINT" for c in columns)
        return f"CREATE TABLE {table or self.table} ({body})"


def _subset(columns: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(columns), min_size=1, max_size=len(columns), unique=True)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    columns = [f"c{i}" for i in range(draw(st.integers(2, 4)))]
    consumers = draw(st.lists(st.sampled_from(CONSUMERS), max_size=3, unique=True))
    subs = [
        (who, draw(st.none() | _subset(columns)), draw(st.booleans()), draw(st.booleans()))
        for who in consumers
    ]
    views = draw(st.lists(_subset(columns), max_size=2))
    products = draw(st.lists(st.tuples(_subset(columns), st.sampled_from(PEOPLE)), max_size=2))
    exposure = st.one_of(st.none(), st.sampled_from(PEOPLE))
    models = draw(st.lists(st.tuples(_subset(columns), exposure), max_size=2))
    jobs = draw(st.lists(st.tuples(st.sampled_from(columns), st.sampled_from(PEOPLE)), max_size=2))
    kind = draw(
        st.sampled_from(
            ["column_removed", "column_renamed", "column_type_narrowed", "table_renamed", "added"]
        )
    )
    change = (kind, draw(st.integers(0, len(columns) - 1)))
    return World(next(_counter), columns, subs, views, products, models, jobs, change)


def _new_schema(world: World) -> tuple[str, dict[str, str]]:
    kind, index = world.change
    columns = list(world.columns)
    target = columns[index]
    if kind == "column_removed":
        columns.remove(target)
    elif kind == "column_renamed":
        columns[index] = f"{target}_new"
        return world.ddl(columns), {f"{world.table}.{target}": f"{target}_new"}
    elif kind == "column_type_narrowed":
        return world.ddl(columns).replace(f"{target} BIGINT", f"{target} INT"), {}
    elif kind == "table_renamed":
        renamed = f"s{world.n}.t2"
        return world.ddl(columns, renamed), {world.table: renamed}
    else:
        return world.ddl(columns).replace(")", ", extra TEXT)"), {}
    return world.ddl(columns), {}


def _select(world: World, columns: list[str]) -> str:
    return f"SELECT {', '.join(columns)} FROM {world.table}"


def _manifest(world: World) -> dict[str, Any]:
    source = f"source.p.s{world.n}.t"
    nodes: dict[str, Any] = {}
    exposures: dict[str, Any] = {}
    for i, (columns, owner) in enumerate(world.models):
        uid = f"model.p.m{world.n}_{i}"
        nodes[uid] = {
            "resource_type": "model",
            "name": f"m{i}",
            "relation_name": f"s{world.n}.m{i}",
            "compiled_code": _select(world, columns),
            "depends_on": {"nodes": [source]},
            "columns": {},
        }
        if owner is not None:
            exposures[f"exposure.p.e{world.n}_{i}"] = {
                "name": f"e{world.n}_{i}",
                "owner": {"email": owner},
                "depends_on": {"nodes": [uid]},
            }
    return {
        "metadata": {"adapter_type": "postgres", "project_name": f"p{world.n}"},
        "sources": {source: {"resource_type": "source", "name": "t", "relation_name": world.table}},
        "nodes": nodes,
        "exposures": exposures,
    }


def _events(world: World) -> list[dict[str, Any]]:
    pg = "postgres://db:5432"
    return [
        {
            "eventType": "COMPLETE",
            "run": {"runId": f"{world.n}-{i}"},
            "job": {
                "namespace": "etl",
                "name": f"j{world.n}_{i}",
                "facets": {"ownership": {"owners": [{"name": f"user:{owner}", "type": "OWNER"}]}},
            },
            "inputs": [{"namespace": pg, "name": world.table}],
            "outputs": [
                {
                    "namespace": pg,
                    "name": f"s{world.n}.out{i}",
                    "facets": {
                        "columnLineage": {
                            "fields": {
                                column: {
                                    "inputFields": [
                                        {"namespace": pg, "name": world.table, "field": column}
                                    ]
                                }
                            }
                        }
                    },
                }
            ],
        }
        for i, (column, owner) in enumerate(world.jobs)
    ]


def _views(world: World) -> list[tuple[str, str]]:
    return [
        (f"s{world.n}.v{i}", f"CREATE VIEW s{world.n}.v{i} AS {_select(world, columns)}")
        for i, columns in enumerate(world.views)
    ]


def _expected(world: World, *, service: bool) -> set[str]:
    """Who the lineage graph says is reached, from the generated readers (SERVICE: with
    subscriptions, downstream products and the fallback to the product's owner)."""
    graph = LineageGraph("postgres")
    graph.add_table(world.table, dict.fromkeys(world.columns, "BIGINT"))
    contact: dict[str, str | None] = {}
    for name, sql in _views(world):
        graph.add_sql(name, sql)
        contact[name] = None
    graph.add_dbt_manifest(_manifest(world))
    for i, (_, owner) in enumerate(world.models):
        contact[f"s{world.n}.m{i}"] = None
        if owner is not None:
            contact[f"e{world.n}_{i}"] = owner
    for event in _events(world):
        graph.add_openlineage_event(event)
    for i, (_, owner) in enumerate(world.jobs):
        contact[f"s{world.n}.out{i}"] = owner
    every_change: set[str] = set()
    if service:
        for i, (who, columns, _, all_changes) in enumerate(world.subs):
            graph.add_consumer(f"sub{i}", reads={world.table: columns})
            contact[f"sub{i}"] = who
            if all_changes:
                every_change.add(f"sub{i}")
        for i, (columns, owner) in enumerate(world.products):
            graph.add_sql(f"p{world.n}.down{i}", _select(world, columns))
            contact[f"p{world.n}.down{i}"] = owner
    kind, index = world.change
    if kind == "added":  # compatible: only subscriptions asking for every change hear of it
        change = ColumnChange(world.table, "extra", "column_added", breaking=False)
    else:
        column = None if kind == "table_renamed" else world.columns[index]
        change = ColumnChange(world.table, column, kind)
    told: set[str] = set()
    for item in impact(graph, [change], include_compatible=True).affected:
        if not change.breaking and item.name not in every_change:
            continue
        who = contact[item.name]
        if who is not None:
            told.add(who)
        elif service:
            told.add(OWNER)
    return told


def _cli(world: World, tmp: Path) -> set[str]:
    new, renames = _new_schema(world)
    (tmp / "old.sql").write_text(world.ddl(world.columns))
    (tmp / "new.sql").write_text(new)
    down = tmp / "down"
    down.mkdir()
    for name, sql in _views(world):
        (down / f"{name}.sql").write_text(sql)
    (down / "manifest.json").write_text(json.dumps(_manifest(world)))
    (down / "events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in _events(world)))
    args = ["diff", str(tmp / "old.sql"), str(tmp / "new.sql"), "--dialect", "postgres"]
    args += [f"--rename={old}={new_name}" for old, new_name in renames.items()]
    result = CliRunner().invoke(main, [*args, "--downstream", str(down), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return set(json.loads(result.stdout)["impact"]["recipients"])


def _api(org: Org, app: FastAPI, world: World) -> tuple[set[str], set[str]]:
    product = f"p{world.n}.orders"
    org.register(name=product, schema=world.ddl(world.columns))
    for who, columns, by_sql, all_changes in world.subs:
        body: dict[str, Any] = {"all_changes": all_changes}
        if columns is not None:
            body |= {"sql": _select(world, columns)} if by_sql else {"columns": columns}
        response = org.post(who, f"/products/{product}/subscriptions", body)
        assert response.status_code == 201, response.text
    for i, (columns, owner) in enumerate(world.products):
        org.register(
            name=f"p{world.n}.down{i}",
            schema=world.ddl(["x"], f"p{world.n}.down{i}"),
            owners=[owner],
            sql=_select(world, columns),
        )
    for name, sql in _views(world):
        body = {"name": name, "sql": sql, "dialect": "postgres"}
        assert org.post("admin", "/lineage/sql", body).status_code == 201
    assert org.post("admin", "/lineage/dbt", _manifest(world)).status_code == 201
    for event in _events(world):
        assert org.post("admin", "/api/v1/lineage", event).status_code == 201
    new, renames = _new_schema(world)
    body = {"schema": new, "summary": "change", "renames": renames}
    response = org.post("owner", f"/products/{product}/change-requests", body)
    assert response.status_code == 201, response.text
    cr = response.json()
    with app.state.steward.db.reading() as session:
        queued = session.scalars(
            select(NoticeRow.recipient).where(
                NoticeRow.change_request_id == cr["id"], NoticeRow.kind == "proposed"
            )
        ).all()
    return set(cr["impact"]["recipients"]), set(queued)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
@example(  # a compatible change: only the subscription to every column, asking for all, hears
    world=World(
        next(_counter),
        ["c0", "c1"],
        [(CONSUMERS[0], None, False, True), (CONSUMERS[1], ["c0"], False, True)],
        [["c0"]],
        [],
        [(["c1"], PEOPLE[0])],
        [("c0", PEOPLE[1])],
        ("added", 0),
    )
)
@example(  # a removal reaches every kind of reader of the column, and only those
    world=World(
        next(_counter),
        ["c0", "c1", "c2"],
        [(CONSUMERS[0], ["c1"], True, False), (CONSUMERS[1], ["c0"], False, False)],
        [["c1"], ["c2"]],
        [(["c1"], PEOPLE[2])],
        [(["c1"], PEOPLE[0]), (["c0"], None)],
        [("c1", PEOPLE[1]), ("c2", PEOPLE[3])],
        ("column_removed", 1),
    )
)
def test_every_door_tells_exactly_whom_the_lineage_graph_reaches(
    org: Org, app: FastAPI, clock: Clock, tmp_path_factory: pytest.TempPathFactory, world: World
) -> None:
    with app.state.steward.db.writing() as session:
        for email in CONSUMERS:
            if email not in org.tokens:
                org.tokens[email] = create_token(session, email=email, now=clock())[1]
    assert _cli(world, tmp_path_factory.mktemp("cli")) == _expected(world, service=False)
    expected = _expected(world, service=True)
    told, queued = _api(org, app, world)
    assert told == expected
    assert queued == expected
