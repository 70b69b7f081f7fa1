"""A change set as people read it: the JSON-ready report, and text and Markdown renderings.

The renderers take the JSON-ready dict, so a door can add sections (such as the
downstream `impact`) before rendering; any key beyond the change set's own is shown
as an extra section.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from service.diff.model import ChangeSet
from service.diff.policy import bump_for, decide

_OWN_KEYS = ("bump", "breaking", "unknown", "warnings", "changes")
_SEVERITY = {"breaking": 0, "unknown": 1, "needs_review": 2, "compatible": 3}
_COLOURS = {"breaking": "31", "unknown": "33", "needs_review": "33", "compatible": "32"}
_MARKS = {"breaking": "✗", "unknown": "?", "needs_review": "!", "compatible": "✓"}


def report(changes: ChangeSet, perspective: str = "reader") -> dict[str, Any]:
    """The JSON-ready report: bump, `breaking` and `unknown` from the chosen side, every change.

    `breaking`: some change breaks that side; `unknown`: some change cannot be decided. A
    door blocks (exit 1, a change request held for notice) when either is true.
    """
    decision = decide(changes, perspective)
    return {
        "bump": bump_for(changes, perspective).value,
        "breaking": decision.breaking,
        "unknown": decision.unknown,
        "warnings": list(changes.warnings),
        "changes": [c.to_json() for c in changes.changes],
    }


def _driving(change: Mapping[str, Any], perspective: str) -> str:
    if perspective == "writer":
        return str(change["writer_verdict"])
    if perspective == "both":
        return str(min(change["verdict"], change["writer_verdict"], key=_SEVERITY.__getitem__))
    return str(change["verdict"])


def _by_table(data: Mapping[str, Any], perspective: str) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for change in data["changes"]:
        groups.setdefault(change["table"], []).append(change)
    for items in groups.values():
        items.sort(key=lambda c: _SEVERITY[_driving(c, perspective)])
    return groups


def _summary(data: Mapping[str, Any], perspective: str) -> str:
    counts: dict[str, int] = {}
    for change in data["changes"]:
        v = _driving(change, perspective)
        counts[v] = counts.get(v, 0) + 1
    parts = [f"{counts[v]} {v.replace('_', ' ')}" for v in _SEVERITY if v in counts]
    total = len(data["changes"])
    noun = "change" if total == 1 else "changes"
    detail = f" ({', '.join(parts)})" if parts else ""
    return f"{total} {noun}{detail}; suggested bump: {data['bump']} [{perspective} perspective]"


def _extras(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in _OWN_KEYS}


def render_json(data: Mapping[str, Any]) -> str:
    """Exactly one JSON object."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def render_text(
    data: Mapping[str, Any], *, perspective: str = "reader", color: bool = False
) -> str:
    """For people at a terminal: grouped by table, breaking changes first."""

    def paint(text: str, verdict: str) -> str:
        return f"\x1b[{_COLOURS[verdict]}m{text}\x1b[0m" if color else text

    lines = [_summary(data, perspective)]
    lines += [paint(f"warning: {w}", "unknown") for w in data.get("warnings") or ()]
    for table, items in _by_table(data, perspective).items():
        lines.append("")
        lines.append(f"{table}")
        for c in items:
            verdict = _driving(c, perspective)
            where = f"{c['column']}: " if c["column"] else ""
            head = paint(f"{_MARKS[verdict]} {verdict:<12}", verdict)
            other = c["writer_verdict"] if perspective == "reader" else c["verdict"]
            side = "readers" if perspective == "writer" else "writers"
            note = f" ({side}: {other.replace('_', ' ')})" if other != verdict else ""
            lines.append(f"  {head} {where}{c['kind']}{note}")
            lines.append(f"      {c['reason']}")
    for key, value in _extras(data).items():
        lines += ["", f"{key}:", json.dumps(value, indent=2, ensure_ascii=False)]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if text else ""


def render_markdown(
    data: Mapping[str, Any], *, perspective: str = "reader", max_rows: int = 200
) -> str:
    """For a pull-request comment: a summary line and one table row per change.

    Beyond `max_rows` rows (comment hosts cap their size) the most severe changes are
    kept and a line says how many more the JSON report holds.
    """
    lines = [f"### Schema changes: **{data['bump']}** bump", "", _summary(data, perspective), ""]
    warnings = list(data.get("warnings") or ())
    if warnings:
        lines += [f"> warning: {w}" for w in warnings] + [""]
    changes = list(data["changes"])
    if len(changes) > max_rows:
        ranked = sorted(
            range(len(changes)), key=lambda i: _SEVERITY[_driving(changes[i], perspective)]
        )
        keep = set(ranked[:max_rows])
        changes = [c for i, c in enumerate(changes) if i in keep]
    if changes:
        lines.append("| | Table | Column | Change | Before | After | Readers | Writers | Why |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for table, items in _by_table({"changes": changes}, perspective).items():
            for c in items:
                mark = _MARKS[_driving(c, perspective)]
                reason = str(c["reason"]).replace("|", "\\|")
                lines.append(
                    f"| {mark} | {_cell(table)} | {_cell(c['column'])} | {c['kind']} "
                    f"| {_cell(c['before'])} | {_cell(c['after'])} | {c['verdict']} "
                    f"| {c['writer_verdict']} | {reason} |"
                )
    hidden = len(data["changes"]) - len(changes)
    if hidden:
        lines += ["", f"…and {hidden} more changes, less severe; see `steward diff --format json`."]
    for key, value in _extras(data).items():
        body = json.dumps(value, indent=2, ensure_ascii=False)
        lines += ["", f"#### {key.capitalize()}", "", "```json", body, "```"]
    return "\n".join(lines) + "\n"


__all__ = ["render_json", "render_markdown", "render_text", "report"]
