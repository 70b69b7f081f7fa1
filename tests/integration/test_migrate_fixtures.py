"""The migration path, case by case from fixtures/migrate/, proven by running it.

Each case directory holds `case.yaml` (dialect, rename hints, engines, what to expect),
`old.sql`, `new.sql`, `seed.sql` (rows of OLD; of `outside.sql`'s tables, other products'
that consumers join), `move.sql` (how the owner moves them to
NEW, reading the old tables renamed `<table>__old`) and `consumers/*.sql`, queries
written against OLD. On each engine (DuckDB in process, the shared PostgreSQL): OLD is
loaded and every consumer's answer recorded; the rows move to NEW; then (a) each
compatibility view returns OLD's rows and old queries pointed at it return their old
answers, (b) each rewritten query on NEW returns the old answer, column names included,
and (c) the alternative schema executes, and `steward diff OLD ALT` exits 0. Dialects
that cannot run here are checked by parsing the generated SQL back and qualifying it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pytest
import sqlglot
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from lineage.names import table_name
from service.cli import main
from service.diff.hints import resolve_renames
from service.migrate import Migration, Status, migrate
from service.schema import parse_schema
from service.schema.model import Schema
from service.schema.names import sqlglot_dialect

CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "migrate"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "case.yaml").is_file())


@dataclass
class Case:
    """One scenario's files."""

    path: Path
    dialect: str
    engines: list[str]
    renames: list[str]
    expect: dict[str, Any]
    consumers: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        path = self.path / name
        return path.read_text() if path.is_file() else ""

    def plan(self, dialect: str | None = None) -> tuple[Schema, Schema, Migration]:
        dialect = dialect or self.dialect
        old = parse_schema(self.text("old.sql"), dialect=dialect)
        new = parse_schema(self.text("new.sql"), dialect=dialect)
        hints = resolve_renames(self.renames, old)
        plan = migrate(old, new, renames=hints, consumers=self.consumers.items(), old_major=1)
        return old, new, plan


def load(name: str) -> Case:
    path = CASES_DIR / name
    spec = yaml.safe_load((path / "case.yaml").read_text())
    consumers = {p.name: p.read_text() for p in sorted((path / "consumers").glob("*.sql"))}
    return Case(
        path, spec["dialect"], spec.get("engines", []), spec.get("renames", []), spec["expect"],
        consumers,
    )  # fmt: skip


def _nested(schema: Schema) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for table in schema.tables:
        *parents, last = table.name.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = {c.name: "TEXT" for c in table.columns}
    return nested


def _qualifies(sql: str, schema: Schema, dialect: str, outside: str = "") -> None:
    """Parse generated SQL back in the dialect and qualify every column against SCHEMA."""
    read = sqlglot_dialect(dialect)
    if outside:
        schema = Schema(dialect, schema.tables + parse_schema(outside, dialect=dialect).tables)
    for statement in sqlglot.parse(sql, read=read):
        assert statement is not None
        query = statement.expression if isinstance(statement, exp.Create) else statement
        assert isinstance(query, exp.Query), sql
        mapping = MappingSchema(_nested(schema), dialect=read, normalize=False)
        qualify(query.copy(), schema=mapping, dialect=read, validate_qualify_columns=True)


@pytest.mark.parametrize("name", CASES)
def test_the_migration_path_is_what_the_case_expects(name: str, tmp_path: Path) -> None:
    case = load(name)
    _, new, plan = case.plan()
    expect = case.expect
    assert [v.name for v in plan.views] == expect["views"]
    for view in plan.views:
        _qualifies(view.sql, new, case.dialect)
    assert (plan.alternative is not None) == expect["alternative"]
    by_file = {c.file: c for c in plan.consumers}
    assert set(by_file) == set(expect["consumers"])
    for file, wanted in expect["consumers"].items():
        got = by_file[file]
        assert got.status.value == wanted["status"], (file, got)
        breaks = [[b.line, b.column] for b in got.breaks]
        assert breaks == wanted.get("breaks", []), (file, got.breaks)
        if got.status is Status.REWRITTEN:
            assert got.sql is not None
            _qualifies(got.sql, new, case.dialect, case.text("outside.sql"))
        for fragment in wanted.get("contains", []):
            assert got.sql is not None and fragment in got.sql, (file, got.sql)
    if plan.alternative is not None:
        alt = tmp_path / "alt.sql"
        alt.write_text(plan.alternative.schema)
        (tmp_path / "old.sql").write_text(case.text("old.sql"))
        result = CliRunner().invoke(
            main, ["diff", str(tmp_path / "old.sql"), str(alt), "--dialect", case.dialect]
        )
        assert result.exit_code == 0, result.stdout


# --- on real engines ---------------------------------------------------------------------


class Engine(Protocol):
    dialect: str

    def fold(self, name: str) -> str: ...

    def execute(self, sql: str) -> None: ...

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]: ...


class Duck:
    dialect = "duckdb"
    #: DuckDB resolves names case-insensitively, quoted or not, and keeps the declared spelling
    #: for display: the schema model keeps the resolved (lower-case) name.
    fold = staticmethod(str.casefold)

    def __init__(self) -> None:
        self.con = duckdb.connect()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self.con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()


class Postgres:
    dialect = "postgres"
    fold = staticmethod(str)

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")

    def execute(self, sql: str) -> None:
        with self.engine.connect() as c:
            c.exec_driver_sql(sql)

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.engine.connect() as c:
            result = c.exec_driver_sql(sql)
            return list(result.keys()), [tuple(r) for r in result.fetchall()]


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    name = f"steward_migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _statements(sql: str, dialect: str) -> list[str]:
    return [s.sql(dialect=dialect) for s in sqlglot.parse(sql, read=dialect) if s is not None]


def _run_all(engine: Engine, sql: str) -> None:
    for statement in _statements(sql, engine.dialect):
        engine.execute(statement)


def _normal(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _answer(engine: Engine, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns, rows = engine.query(sql)
    return [engine.fold(c) for c in columns], sorted(
        (tuple(map(_normal, r)) for r in rows), key=repr
    )


def _redirect(sql: str, views: dict[str, str], dialect: str) -> str:
    """The old query pointed at the compatibility views instead of the old tables."""
    tree = sqlglot.parse_one(sql, read=dialect)
    for table in list(tree.find_all(exp.Table)):
        view = views.get(table_name(table, dialect))
        if view is not None:
            alias = table.alias or table.name
            replacement = exp.to_table(view, dialect=dialect)
            replacement.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
            table.replace(replacement)
    return tree.sql(dialect=dialect)


def _schemas_of(*schemas: Schema) -> set[str]:
    return {t.name.rsplit(".", 1)[0] for s in schemas for t in s.tables if "." in t.name}


def _prove(case: Case, engine: Engine) -> None:
    old, new, plan = case.plan(engine.dialect)
    for schema in sorted(_schemas_of(old, new)):
        engine.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    _run_all(engine, case.text("outside.sql"))  # tables of other products, left as they are
    _run_all(engine, case.text("old.sql"))
    _run_all(engine, case.text("seed.sql"))
    answers = {file: _answer(engine, sql) for file, sql in case.consumers.items()}
    old_rows = {t.name: _answer(engine, f"SELECT * FROM {t.name}") for t in old.tables}
    for table in old.tables:
        engine.execute(f"ALTER TABLE {table.name} RENAME TO {table.name.rsplit('.', 1)[-1]}__old")
    _run_all(engine, case.text("new.sql"))
    _run_all(engine, case.text("move.sql"))
    for table in old.tables:
        engine.execute(f"DROP TABLE {table.name}__old")
    views = {v.table: v.name for v in plan.views}
    for view in plan.views:
        engine.execute(view.sql)
        columns, rows = _answer(engine, f"SELECT * FROM {view.name}")
        old_columns, old_values = old_rows[view.table]
        assert columns == old_columns
        removed = [
            i
            for i, w in enumerate(old_columns)
            if any(f"column {w} was removed" in x for x in view.warnings)
        ]
        expected = sorted(
            (tuple(None if i in removed else v for i, v in enumerate(r)) for r in old_values),
            key=repr,
        )
        assert rows == expected, view.sql
    for consumer in plan.consumers:
        original = case.consumers[consumer.file]
        if consumer.status is not Status.BREAKS:
            # (a) the old query, pointed at the views, answers as before
            assert (
                _answer(engine, _redirect(original, views, engine.dialect))
                == answers[consumer.file]
            )
            # (b) the rewritten (or unchanged) query answers on NEW as before
            sql = consumer.sql if consumer.status is Status.REWRITTEN else original
            assert sql is not None
            assert _answer(engine, sql) == answers[consumer.file], sql
    if plan.alternative is not None:
        # (c) the alternative executes (its contract steps too, once readers moved on)
        for view in plan.views:
            engine.execute(f"DROP VIEW {view.name}")
        for table in new.tables:
            engine.execute(f"DROP TABLE {table.name}")
        _run_all(engine, plan.alternative.schema)
        for note in plan.alternative.notes:
            if not note.contract.startswith("--"):
                _run_all(engine, note.contract)


ON_DUCKDB = [n for n in CASES if "duckdb" in load(n).engines]
ON_POSTGRES = [n for n in CASES if "postgres" in load(n).engines]


@pytest.mark.parametrize("name", ON_DUCKDB)
def test_the_migration_path_runs_on_duckdb(name: str) -> None:
    _prove(load(name), Duck())


@pytest.mark.postgres
@pytest.mark.parametrize("name", ON_POSTGRES)
def test_the_migration_path_runs_on_postgres(name: str, postgres_db: str) -> None:
    _prove(load(name), Postgres(postgres_db))
