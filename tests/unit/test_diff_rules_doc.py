"""docs/diff-rules.md's table of kinds and the engine's rules table cannot drift apart.

Each row of the doc's `## Kinds` table names one kind (or `a / b` pairs) with its reader
verdict, writer verdict and bump; every kind of ChangeKind has a row, and every row says
what service/diff/rules.py says.
"""

from __future__ import annotations

import re
from pathlib import Path

from service.diff.model import ChangeKind, Verdict
from service.diff.rules import ADDED_REQUIRED_COLUMN, RULES, Rule

DOC = Path(__file__).resolve().parents[2] / "docs" / "diff-rules.md"
WORDS = {
    "breaking": Verdict.BREAKING,
    "compatible": Verdict.COMPATIBLE,
    "needs review": Verdict.NEEDS_REVIEW,
    "unknown": Verdict.UNKNOWN,
}


def _rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Kinds", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("kind", "---"):
            rows.append(cells)
    return rows


def _verdict(cell: str) -> Verdict:
    return WORDS[re.sub(r"\s*\(.*\)$", "", cell)]


def _documented() -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for kind_cell, reader, writer, bump in _rows():
        label = re.sub(r"\s*\(.*$", "", kind_cell)
        if label == "column_added, NOT NULL without default":
            found["column_added (required)"] = Rule(
                _verdict(reader), _verdict(writer), RULES[ChangeKind.COLUMN_ADDED].bump, ""
            )
            continue
        label = label.split(",")[0]
        kinds = [k.strip() for k in label.split("/")]
        sides = [s.split(" / ") for s in (reader, writer, bump)]
        for i, kind in enumerate(kinds):
            pick = [side[i] if len(side) == len(kinds) else side[0] for side in sides]
            found[kind] = Rule(
                _verdict(pick[0]), _verdict(pick[1]), RULES[ChangeKind(kind)].bump, ""
            )
            assert pick[2] == RULES[ChangeKind(kind)].bump.value, (kind, pick[2])
    return found


def test_every_kind_has_a_row_in_the_doc() -> None:
    documented = _documented()
    assert {k.value for k in ChangeKind} <= set(documented)


def test_every_row_says_what_the_rules_table_says() -> None:
    for kind, rule in _documented().items():
        want = (
            ADDED_REQUIRED_COLUMN if kind == "column_added (required)" else RULES[ChangeKind(kind)]
        )
        assert (rule.verdict, rule.writer_verdict) == (want.verdict, want.writer_verdict), kind
