"""Real-world DDL as tools emit it (pg_dump, mysqldump, GET_DDL, SSMS, ...): each script reads.

Each `fixtures/ddl/realworld/<dialect>_<name>.sql` starts with `-- expect: table=columns, ...`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from service.diff import diff_schemas
from service.schema import Schema, parse_ddl

FOLDER = Path(__file__).parents[2] / "fixtures" / "ddl" / "realworld"
SCRIPTS = sorted(FOLDER.glob("*.sql"))
EXPECT = re.compile(r"^-- expect: (.+)$", re.MULTILINE)


def expected(path: Path) -> dict[str, int]:
    """The tables and column counts a script's header promises."""
    found = EXPECT.search(path.read_text())
    assert found, f"{path.name} has no `-- expect:` header"
    pairs = (item.split("=") for item in found.group(1).split(","))
    return {name.strip(): int(count) for name, count in pairs}


def read(path: Path) -> Schema:
    """The script read in the dialect its file name starts with."""
    return parse_ddl(path.read_text(), path.name.split("_", 1)[0], source=path.name)


def test_there_is_real_world_ddl_for_many_dialects() -> None:
    """The corpus covers at least ten dialects."""
    assert len({p.name.split("_", 1)[0] for p in SCRIPTS}) >= 10


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_a_real_world_script_reads_with_the_expected_tables_and_columns(path: Path) -> None:
    """Every table is read, in order, with its number of columns."""
    schema = read(path)
    assert {t.name: len(t.columns) for t in schema.tables} == expected(path)


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_a_real_world_script_compared_with_itself_has_no_change(path: Path) -> None:
    """diff(x, x) is empty: reading is deterministic."""
    assert diff_schemas(read(path), read(path)).to_json()["changes"] == []


def _droppable(schema: Schema) -> tuple[int, str]:
    """A table index and a column of it that no key, partition or clustering names."""
    for index, table in enumerate(schema.tables):
        used = set(table.primary_key) | set(table.partition_by) | set(table.cluster_by)
        for group in (*table.uniques, *(fk.columns for fk in table.foreign_keys)):
            used |= set(group)
        for column in reversed(table.columns):
            if column.name not in used and not any(column.name in c for c in table.checks):
                return index, column.name
    raise AssertionError("no droppable column")


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_dropping_one_column_of_a_real_world_script_is_exactly_one_removal(path: Path) -> None:
    """diff(x, x without one column) is exactly one column_removed, breaking for readers."""
    old = read(path)
    index, name = _droppable(old)
    table = old.tables[index]
    kept = tuple(c for c in table.columns if c.name != name)
    kept = tuple(replace(c, position=i) for i, c in enumerate(kept))
    tables = list(old.tables)
    tables[index] = replace(table, columns=kept)
    changes = diff_schemas(old, replace(old, tables=tuple(tables))).to_json()["changes"]
    assert [(c["kind"], c["table"], c["column"]) for c in changes] == [
        ("column_removed", table.name, name)
    ]


@pytest.mark.parametrize(
    ("path", "table", "column", "default"),
    [
        ("postgres_pg_dump_shop.sql", "public.orders", "id", "GENERATED ALWAYS AS IDENTITY"),
        ("tsql_ssms_script.sql", "dbo.customers", "isactive", "1"),
    ],
)
def test_defaults_added_by_alter_table_land_on_the_column(
    path: str, table: str, column: str, default: str
) -> None:
    """pg_dump's ADD GENERATED ... AS IDENTITY and T-SQL's ADD DEFAULT ... FOR are applied."""
    found = read(FOLDER / path).table(table)
    assert found is not None
    col = found.column(column)
    assert col is not None and col.default is not None and default in col.default
    assert not col.nullable or default == "1"
