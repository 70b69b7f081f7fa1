"""The migration path of real-world schemas (fixtures/ddl/realworld), and of no change at all.

Each script's tables lose their last column and see their first renamed (hinted); every
table gets a view that parses back in its dialect, the alternative re-diffs as compatible,
and a `SELECT *` consumer breaks on the removed column at its line. Migrating a schema to
itself yields nothing to do.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlglot

from service.diff import diff_schemas
from service.migrate import Status, migrate
from service.schema import Schema, parse_ddl
from service.schema.names import sqlglot_dialect

FOLDER = Path(__file__).parents[2] / "fixtures" / "ddl" / "realworld"
SCRIPTS = sorted(FOLDER.glob("*.sql"))


def read(path: Path) -> Schema:
    return parse_ddl(path.read_text(), path.name.split("_", 1)[0], source=path.name)


def _changed(old: Schema) -> tuple[Schema, dict[str, str]]:
    tables, renames = [], {}
    for table in old.tables:
        first, *rest = table.columns
        renamed = replace(first, name=f"{first.name}_x")
        renames[f"{table.name}.{first.name}"] = renamed.name
        plain = replace(table, primary_key=(), uniques=frozenset(), checks=frozenset(),
                        foreign_keys=frozenset(), partition_by=(), cluster_by=())  # fmt: skip
        tables.append(replace(plain, columns=(renamed, *rest[:-1])))
    return replace(old, tables=tuple(tables)), renames


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_a_real_world_schema_gets_a_migration_path(path: Path) -> None:
    old = read(path)
    new, renames = _changed(old)
    consumers = [(t.name, f"SELECT *\nFROM {t.name}") for t in old.tables if len(t.columns) > 1]
    plan = migrate(old, new, renames=renames, consumers=consumers)
    assert [v.table for v in plan.views] == [t.name for t in old.tables]
    for view in plan.views:
        assert sqlglot.parse_one(view.sql, read=sqlglot_dialect(old.dialect)) is not None
        assert any("was removed" in w for w in view.warnings)
    assert plan.alternative is not None
    for consumer in plan.consumers:
        assert consumer.status is Status.BREAKS
        assert {b.line for b in consumer.breaks} == {1}


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_migrating_a_schema_to_itself_has_nothing_to_do(path: Path) -> None:
    old = read(path)
    consumers = [(t.name, f"SELECT * FROM {t.name}") for t in old.tables]
    plan = migrate(old, old, consumers=consumers)
    assert diff_schemas(old, old).changes == ()
    assert (plan.views, plan.alternative) == ((), None)
    assert {c.status for c in plan.consumers} <= {Status.UNCHANGED}
