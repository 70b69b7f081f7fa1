"""The diff's changes as lineage takes them, and the downstream impact of a change set.

Downstream SQL, models and jobs were written against the OLD schema, so every change is
named as OLD spells it: a change inside a renamed table names the old table, a renamed
column names its old name. A change counts as breaking when its reader verdict is
breaking or unknown (readers are what lineage finds downstream).
"""

from __future__ import annotations

from pathlib import Path

from lineage import Impact as LineageImpact
from lineage import load
from service.diff.model import ChangeSet
from service.impact import Impact
from service.schema.model import Schema
from service.schema.names import GENERIC
from service.usecases.impact import reach, trace


def downstream_impact(
    path: Path, changes: ChangeSet, old: Schema, *, include_compatible: bool = False
) -> tuple[LineageImpact, Impact]:
    """What the changes reach downstream of OLD in PATH (SQL files, dbt manifest, OpenLineage).

    OLD's tables are the known upstream schemas, so `SELECT *` over them expands. The
    warnings hold everything lineage could not resolve while reading PATH, not only those
    about affected objects. The typed impact says who is told of each reader: the contact
    its source declares (a dbt exposure's owner, an OpenLineage job's), else no one (with a
    warning). Raises `lineage.LineageInputError` for a path it cannot read.
    """
    dialect = None if old.dialect == GENERIC else old.dialect
    graph = load(path, dialect=dialect, schemas=old.mapping())
    found, positions = trace(
        graph, changes, include_compatible=include_compatible, all_warnings=True
    )
    return found, reach(found, positions, changes, include_compatible=include_compatible)


__all__ = ["downstream_impact"]
