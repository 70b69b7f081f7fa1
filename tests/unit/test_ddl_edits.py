"""Every CREATE TABLE of the fixtures, edited as a person would: the diff says exactly that.

Each statement sqlglot parses alone (the DDL sides of fixtures/diff/ and the real-world
scripts) is re-written by
sqlglot in its dialect, then read alone: compared with itself it has no change; with one
plain column appended it has exactly one `column_added`; with one column dropped (one that no
constraint names) exactly one `column_removed`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
import yaml
from sqlglot import exp

from service.diff import diff_schemas
from service.schema import parse_ddl
from service.schema.names import sqlglot_dialect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _scripts() -> list[tuple[str, str]]:
    found = []
    for path in sorted((FIXTURES / "diff").glob("*.yaml")):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        if case.get("format") != "odcs":
            found += [(case["dialect"], case["old"]), (case["dialect"], case["new"])]
    for path in sorted((FIXTURES / "ddl" / "realworld").glob("*.sql")):
        found.append((path.name.split("_", 1)[0], path.read_text(encoding="utf-8")))
    return found


def _statements() -> list[tuple[str, exp.Create]]:
    seen: set[tuple[str, str]] = set()
    found = []
    for dialect, text in _scripts():
        try:
            trees = sqlglot.parse(text, read=sqlglot_dialect(dialect))
        except sqlglot.ParseError:
            continue  # a script only Steward's own preprocessing reads (Oracle's ENABLE)
        for tree in trees:
            if (
                isinstance(tree, exp.Create)
                and isinstance(tree.this, exp.Schema)
                and str(tree.args.get("kind") or "").upper() == "TABLE"
                and (dialect, tree.sql(sqlglot_dialect(dialect))) not in seen
            ):
                seen.add((dialect, tree.sql(sqlglot_dialect(dialect))))
                found.append((dialect, tree))
    return found


STATEMENTS = _statements()


def test_there_are_statements_of_many_dialects() -> None:
    assert len(STATEMENTS) >= 200
    assert len({d for d, _ in STATEMENTS}) >= 10


def _kinds(dialect: str, old: exp.Create, new: exp.Create) -> list[str]:
    write = sqlglot_dialect(dialect)
    changes = diff_schemas(parse_ddl(old.sql(write), dialect), parse_ddl(new.sql(write), dialect))
    return [c.kind.value for c in changes.changes]


@pytest.mark.parametrize(("dialect", "tree"), STATEMENTS)
def test_a_statement_edited_by_one_column_is_exactly_that_change(
    dialect: str, tree: exp.Create
) -> None:
    assert _kinds(dialect, tree, tree) == []
    added = tree.copy()
    added.this.append(
        "expressions",
        exp.ColumnDef(this=exp.to_identifier("zz_added"), kind=exp.DataType.build("INT")),
    )
    assert _kinds(dialect, tree, added) == ["column_added"]
    named = {
        i.name.lower()
        for e in tree.this.expressions
        if not isinstance(e, exp.ColumnDef)
        for i in e.find_all(exp.Identifier)
    }
    plain = [
        c
        for c in tree.this.expressions
        if isinstance(c, exp.ColumnDef)
        and c.name.lower() not in named
        and not any(
            not isinstance(
                k.args.get("kind"), exp.NotNullColumnConstraint | exp.DefaultColumnConstraint
            )
            for k in c.constraints
        )
    ]
    columns = [c for c in tree.this.expressions if isinstance(c, exp.ColumnDef)]
    if len(columns) > 1 and plain:
        dropped = tree.copy()
        victim = plain[-1].name
        for e in dropped.this.expressions:
            if isinstance(e, exp.ColumnDef) and e.name == victim:
                e.pop()
                break
        assert _kinds(dialect, tree, dropped) == ["column_removed"]
