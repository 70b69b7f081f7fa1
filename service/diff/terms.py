"""How two versions of a contract's terms compare: quality rules and SLAs.

A rule or SLA is *tightened* when it accepts less than before (the producer promises more),
*relaxed* when it accepts more, *changed* when neither holds (or it now checks something
else), and only its notes changed when it accepts exactly the same. The directions are data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from service.diff.model import ChangeKind
from service.schema.model import Bound, QualityRule, ServiceLevel

K = ChangeKind


class Move(StrEnum):
    """How a rule or an SLA moved between two versions."""

    SAME = "same"
    NOTES = "notes"
    TIGHTENED = "tightened"
    RELAXED = "relaxed"
    CHANGED = "changed"


def combine(moves: Iterable[Move]) -> Move:
    """One move from several aspects: tightened and relaxed together is a change."""
    found = set(moves) - {Move.SAME}
    if Move.CHANGED in found or {Move.TIGHTENED, Move.RELAXED} <= found:
        return Move.CHANGED
    for move in (Move.TIGHTENED, Move.RELAXED, Move.NOTES):
        if move in found:
            return move
    return Move.SAME


def _by_subset(old_in_new: bool, new_in_old: bool) -> Move:
    if old_in_new and new_in_old:
        return Move.SAME
    if new_in_old:
        return Move.TIGHTENED
    return Move.RELAXED if old_in_new else Move.CHANGED


def _inside(a: tuple[Bound, ...], b: tuple[Bound, ...]) -> bool:
    # b's intervals are disjoint, so a connected interval of a lies in one of them.
    return all(any(i.within(j) for j in b) for i in a)


def _bounds(old: QualityRule, new: QualityRule) -> Move:
    if old.allowed is None or new.allowed is None:
        same = old.allowed == new.allowed and old.expected == new.expected
        return Move.SAME if same else Move.CHANGED
    return _by_subset(_inside(old.allowed, new.allowed), _inside(new.allowed, old.allowed))


def _values(old: frozenset[str] | None, new: frozenset[str] | None, allow: bool) -> Move:
    """validValues (allow) or invalidValues lists: fewer valid, or more invalid, tightens."""
    if old == new:
        return Move.SAME
    if old is None or new is None:
        added = old is None
        return Move.TIGHTENED if added else Move.RELAXED
    move = _by_subset(old <= new, new <= old)
    if allow or move in (Move.SAME, Move.CHANGED):
        return move
    return Move.RELAXED if move is Move.TIGHTENED else Move.TIGHTENED


SEVERITIES: Mapping[str, int] = {"info": 0, "warning": 1, "error": 2}


def _severity(old: str | None, new: str | None) -> Move:
    if old == new:
        return Move.SAME
    if old is not None and new is not None and old in SEVERITIES and new in SEVERITIES:
        # A failing rule that no longer blocks (error -> warning) guarantees less.
        return Move.TIGHTENED if SEVERITIES[new] > SEVERITIES[old] else Move.RELAXED
    return Move.NOTES


def compare_quality(old: QualityRule, new: QualityRule) -> Move:
    """How a quality rule moved: its bounds, value lists and severity, or what it checks."""
    if old.checks != new.checks:
        return Move.CHANGED
    move = combine(
        (
            _bounds(old, new),
            _values(old.valid_values, new.valid_values, allow=True),
            _values(old.invalid_values, new.invalid_values, allow=False),
            _severity(old.severity, new.severity),
        )
    )
    if move is Move.SAME and (old.notes != new.notes or old.label != new.label):
        return Move.NOTES
    return move


def describe_rule(rule: QualityRule) -> str:
    """A rule as the change report shows it: its label and what it accepts."""
    if rule.shown:
        return rule.shown
    parts = [rule.label]
    if rule.allowed is not None:
        parts.append(" or ".join(_interval(b) for b in rule.allowed))
    elif rule.expected:
        parts.append(rule.expected)
    if rule.valid_values is not None:
        parts.append("valid " + ", ".join(sorted(rule.valid_values)))
    if rule.invalid_values is not None:
        parts.append("invalid " + ", ".join(sorted(rule.invalid_values)))
    return " ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)


def _interval(b: Bound) -> str:
    if b.lo == b.hi:
        return f"= {_num(b.lo)}"
    if math.isinf(b.lo):
        return f"{'<=' if b.hi_closed else '<'} {_num(b.hi)}"
    if math.isinf(b.hi):
        return f"{'>=' if b.lo_closed else '>'} {_num(b.lo)}"
    return f"{'[' if b.lo_closed else '('}{_num(b.lo)}, {_num(b.hi)}{']' if b.hi_closed else ')'}"


# SLA properties (ODCS names, lower case) whose smaller value promises more, or larger.
SMALLER_IS_STRICTER = frozenset({"latency", "freshness", "frequency", "errorrate"})
LARGER_IS_STRICTER = frozenset(
    {"availability", "retention", "throughput", "endofsupport", "endoflife"}
)

_SECONDS: Mapping[str, float] = {
    **dict.fromkeys(("ms", "millisecond", "milliseconds"), 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "week", "weeks"), 7 * 86400),
    **dict.fromkeys(("mo", "month", "months"), 30 * 86400),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365 * 86400),
    **dict.fromkeys(("%", "percent", ""), 1),
}
_AMOUNT = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z%]*)\s*")


def _measure(level: ServiceLevel) -> float | None:
    """An SLA value on one scale (seconds for durations, an ordinal for dates), or None."""
    try:
        return float(date.fromisoformat(level.value).toordinal())
    except ValueError:
        pass
    found = _AMOUNT.fullmatch(level.value)
    if found is None:
        return None
    unit = (found[2] or level.unit or "").lower()
    scale = _SECONDS.get(unit)
    return None if scale is None else float(found[1]) * scale


def compare_sla(old: ServiceLevel, new: ServiceLevel) -> Move:
    """How an SLA moved; a property without a known direction, or an unreadable value, changed."""
    if (old.value, old.unit) == (new.value, new.unit):
        return Move.SAME
    prop = new.name.lower()
    a, b = _measure(old), _measure(new)
    if a is None or b is None or prop not in SMALLER_IS_STRICTER | LARGER_IS_STRICTER:
        return Move.CHANGED
    if a == b:
        return Move.NOTES
    stricter = b < a if prop in SMALLER_IS_STRICTER else b > a
    return Move.TIGHTENED if stricter else Move.RELAXED


@dataclass(frozen=True, slots=True)
class Found:
    """One change a term makes, before the engine places it in its table and column."""

    kind: ChangeKind
    before: str | None
    after: str | None
    detail: str = ""
    columns: tuple[str, ...] | None = None


def enum_value_changes(old: tuple[str, ...], new: tuple[str, ...]) -> list[Found]:
    """Members removed, then members added (an ENUM type's, or a contract's `enum`)."""
    removed = [v for v in old if v not in new]
    added = [v for v in new if v not in old]
    found = []
    if removed:
        found.append(Found(K.ENUM_VALUES_REMOVED, ", ".join(removed), None))
    if added:
        found.append(Found(K.ENUM_VALUES_ADDED, None, ", ".join(added)))
    return found


def allowed_value_changes(column: str, old: tuple[str, ...], new: tuple[str, ...]) -> list[Found]:
    """A contract's `enum` on a column: a set, so another order is no change; an enum where
    there was none (any value) or none where there was one is a CHECK added or removed."""
    if set(old) == set(new):
        return []
    if old and new:
        return enum_value_changes(old, new)
    text = f"{column} IN ({', '.join(new or old)})"
    return [Found(K.CHECK_ADDED, None, text) if new else Found(K.CHECK_REMOVED, text, None)]


_QUALITY_KINDS: Mapping[Move, ChangeKind] = {
    Move.TIGHTENED: K.QUALITY_RULE_TIGHTENED,
    Move.RELAXED: K.QUALITY_RULE_RELAXED,
    Move.CHANGED: K.QUALITY_RULE_CHANGED,
    Move.NOTES: K.QUALITY_RULE_NOTES_CHANGED,
}


def quality_changes(
    where: str, old: tuple[QualityRule, ...], new: tuple[QualityRule, ...]
) -> Iterator[Found]:
    """Quality rules removed, moved (tightened, relaxed, changed, notes) and added, by key."""
    old_rules, new_rules = {r.key: r for r in old}, {r.key: r for r in new}
    for key, rule in old_rules.items():
        now = new_rules.get(key)
        if now is None:
            yield Found(
                K.QUALITY_RULE_REMOVED, describe_rule(rule), None, f"{rule.label} on {where}"
            )
            continue
        move = compare_quality(rule, now)
        if move is not Move.SAME:
            detail = f"{now.label} on {where}"
            yield Found(_QUALITY_KINDS[move], describe_rule(rule), describe_rule(now), detail)
    for key, rule in new_rules.items():
        if key not in old_rules:
            yield Found(K.QUALITY_RULE_ADDED, None, describe_rule(rule), f"{rule.label} on {where}")


# An SLA whose value reads the same on one scale (24 h, 1 d) is no change to report.
_SLA_KINDS: Mapping[Move, ChangeKind] = {
    Move.TIGHTENED: K.SLA_TIGHTENED,
    Move.RELAXED: K.SLA_RELAXED,
    Move.CHANGED: K.SLA_CHANGED,
}


def sla_changes(
    old: Iterable[ServiceLevel], new: Iterable[ServiceLevel], to_new: Mapping[str, str]
) -> Iterator[Found]:
    """SLAs withdrawn, moved and promised, matched by property and (renamed) column."""
    old_levels = {
        (s.name.lower(), to_new.get(s.column, s.column) if s.column else None): s for s in old
    }
    new_levels = {s.key: s for s in new}
    for key, level in old_levels.items():
        cols = (key[1],) if key[1] else ()
        now = new_levels.get(key)
        if now is None:
            yield Found(K.SLA_REMOVED, str(level), None, columns=cols)
        elif (kind := _SLA_KINDS.get(compare_sla(level, now))) is not None:
            yield Found(kind, str(level), str(now), columns=cols)
    for key, level in new_levels.items():
        if key not in old_levels:
            yield Found(K.SLA_ADDED, None, str(level), columns=(key[1],) if key[1] else ())
