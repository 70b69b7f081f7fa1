"""The migration path of a change: compatibility views, an expand/contract alternative, and
each consumer's SQL rewritten for the new schema (pure: sqlglot, the schema model, the diff,
and lineage's reading of queries)."""

from service.migrate.model import (
    Alternative,
    Amendment,
    Break,
    CompatibilityView,
    Consumer,
    Migration,
    Status,
)
from service.migrate.plan import migrate

__all__ = [
    "Alternative",
    "Amendment",
    "Break",
    "CompatibilityView",
    "Consumer",
    "Migration",
    "Status",
    "migrate",
]
