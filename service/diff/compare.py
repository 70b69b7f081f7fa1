"""Parse a proposed schema and diff it against the old one in one call: the unit of heavy
work the API runs in a worker process under a deadline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.diff.engine import diff_schemas
from service.diff.hints import resolve_rename_map
from service.diff.model import ChangeSet
from service.diff.report import report
from service.schema import parse_schema
from service.schema.model import Schema


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both schemas as read, the rename hints as resolved against OLD, and the changes."""

    old: Schema
    new: Schema
    changes: ChangeSet
    renames: Mapping[str, str]


def compare(
    old: Schema | str,
    new: str,
    *,
    dialect: str | None,
    renames: Mapping[str, str] | None = None,
    max_bytes: int = 1_000_000,
) -> Comparison:
    """Read `new` (and `old`, when given as text) in the dialect, then diff them.

    >>> c = compare("CREATE TABLE t (a INT)", "CREATE TABLE t (a BIGINT)", dialect="duckdb")
    >>> [(x.kind.value, x.verdict.value) for x in c.changes.changes]
    [('column_type_widened', 'compatible')]
    """
    before = (
        parse_schema(old, dialect=dialect, source="old", max_bytes=max_bytes)
        if isinstance(old, str)
        else old
    )
    after = parse_schema(
        new,
        dialect=dialect,
        source="new" if isinstance(old, str) else "schema",
        max_bytes=max_bytes,
    )
    hints = resolve_rename_map(renames, before)  # as the CLI's --rename, per dialect
    return Comparison(before, after, diff_schemas(before, after, renames=hints), hints)


def compare_report(
    old: str,
    new: str,
    *,
    dialect: str | None,
    renames: Mapping[str, str] | None = None,
    max_bytes: int = 1_000_000,
) -> dict[str, Any]:
    """The JSON report of `steward diff` for two schema texts (only the report crosses back)."""
    return report(compare(old, new, dialect=dialect, renames=renames, max_bytes=max_bytes).changes)
