"""The diff specification as data: one YAML case per file under fixtures/diff/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from service.diff import diff_schemas
from service.diff.hints import resolve_renames
from service.schema import parse_ddl
from service.schema.model import Schema
from service.schema.odcs import parse_contract

CASES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "diff").glob("*.yaml"))


def _read(case: dict[str, Any], side: str, path: Path) -> Schema:
    source = f"{path.name}:{side}"
    if case.get("format") == "odcs":
        return parse_contract(case[side], dialect=case.get("dialect"), source=source)
    return parse_ddl(case[side], case["dialect"], source=source)


def test_the_specification_has_at_least_eighty_cases() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_diff_matches_the_specification_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    old, new = _read(case, "old", path), _read(case, "new", path)
    renames = resolve_renames(case.get("renames") or [], old)
    changes = diff_schemas(old, new, renames=renames, level=case.get("level", "reader"))
    got = [
        {
            "kind": c.kind.value,
            "table": c.table,
            "column": c.column,
            "verdict": c.verdict.value,
            "writer_verdict": c.writer_verdict.value,
            "columns": list(c.columns),
            "reason": c.reason,
        }
        for c in changes.changes
    ]
    # `columns` is part of a case where it says something `column` does not (a constraint);
    # a case's `reason` is a phrase the change's reason must contain.
    want = case["changes"]
    for i, g in enumerate(got):
        w = want[i] if i < len(want) else {}
        if "columns" not in w:
            del g["columns"]
        if "reason" in w and w["reason"] in g["reason"]:
            g["reason"] = w["reason"]
        elif "reason" not in w:
            del g["reason"]
    assert got == want
    assert changes.bump.value == case["bump"]
    assert all(c.reason.endswith(".") for c in changes.changes)
