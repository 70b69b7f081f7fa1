"""A migration plan as text for people and as a deployable SQL script."""

from __future__ import annotations

from service.migrate.model import Migration, Status


def render_sql(plan: Migration) -> str:
    """The compatibility views, then the alternative schema with its contract steps commented."""
    out = ["-- Compatibility views: deploy beside the new schema; old queries read these."]
    for view in plan.views:
        out += [f"-- {w}" for w in view.warnings]
        out.append(view.sql + ";")
        out.append("")
    if not plan.views:
        out += ["-- (no table needs one)", ""]
    if plan.alternative is None:
        out.append("-- No expand/contract alternative: the proposal breaks no reader.")
    else:
        out.append("-- Expand/contract alternative: deploy INSTEAD of the proposed schema.")
        out.append(plan.alternative.schema)
        out.append("")
        out.append("-- Contract, after the old version's sunset:")
        out += [f"-- {note.contract}" for note in plan.alternative.notes]
    return "\n".join(out) + "\n"


def render_text(plan: Migration) -> str:
    """The plan for people: what changes, the views, the alternative, each consumer."""
    changes = plan.changes.changes
    out = [f"{len(changes)} change(s), bump {plan.changes.bump.value}."]
    for view in plan.views:
        out += ["", f"Compatibility view {view.name} (old shape of {view.table}):", view.sql + ";"]
        out += [f"  warning: {w}" for w in view.warnings]
    if plan.alternative is not None:
        out += ["", "Expand/contract alternative (breaks no reader; re-diffed against OLD):"]
        for note in plan.alternative.notes:
            target = f"{note.table}.{note.column}" if note.column else note.table
            out.append(f"  - {target}: {note.note}")
            out.append(f"    contract after the sunset: {note.contract}")
    for consumer in plan.consumers:
        out += ["", f"{consumer.file}: {consumer.status.value}"]
        if consumer.status is Status.REWRITTEN and consumer.sql:
            out += ["  " + line for line in consumer.sql.splitlines()]
        for b in consumer.breaks:
            where = f"{consumer.file}:{b.line}" if b.line else consumer.file
            column = f" {b.column}:" if b.column else ""
            out.append(f"  {where}:{column} {b.reason}")
    return "\n".join(out) + "\n"
