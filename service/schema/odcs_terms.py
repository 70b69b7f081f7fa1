"""The terms of an ODCS contract beyond its columns: enum values, quality rules and SLAs.

Each is reduced to a comparable value (service.schema.model): a quality rule to what it
checks and the interval of values its operator accepts, an SLA to its property, value and
unit, an enum to its values as text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from service.schema.model import Bound, QualityRule, ServiceLevel

INF = math.inf

# ODCS operators -> the intervals of metric values each accepts.
_OPERATORS: Mapping[str, Callable[[Any], tuple[Bound, ...]]] = {
    "mustBe": lambda v: (Bound(v, v),),
    "mustNotBe": lambda v: (Bound(-INF, v, hi_closed=False), Bound(v, INF, lo_closed=False)),
    "mustBeGreaterThan": lambda v: (Bound(v, INF, lo_closed=False),),
    "mustBeGreaterOrEqualTo": lambda v: (Bound(v, INF),),
    "mustBeLessThan": lambda v: (Bound(-INF, v, hi_closed=False),),
    "mustBeLessOrEqualTo": lambda v: (Bound(-INF, v),),
    "mustBeBetween": lambda v: (Bound(min(v), max(v)),),
    "mustNotBeBetween": lambda v: (
        Bound(-INF, min(v), hi_closed=False),
        Bound(max(v), INF, lo_closed=False),
    ),
}
# What a rule checks: a change to any of these makes two versions incomparable.
_CHECKS = ("type", "metric", "rule", "query", "engine", "implementation", "unit", "method")
# Said about a rule without changing what it accepts.
_NOTES = (
    "description",
    "dimension",
    "businessImpact",
    "schedule",
    "scheduler",
    "tags",
    "authoritativeDefinitions",
    "customProperties",
)
_VALUE_LISTS = ("validValues", "invalidValues")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def enum_values(prop: Mapping[str, Any]) -> tuple[str, ...]:
    """A property's `enum` values as text, in order (ODCS 3.2 `{value: ...}` entries)."""
    found = []
    for entry in prop.get("enum") or ():
        value = entry.get("value") if isinstance(entry, dict) else entry
        found.append(_text(value))
    return tuple(dict.fromkeys(found))


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, list):
        return bool(value) and all(_numeric(v) for v in value)
    return isinstance(value, int | float)


def _one_rule(rule: Mapping[str, Any]) -> QualityRule:
    checks = {k: rule[k] for k in _CHECKS if k in rule}
    arguments = dict(rule.get("arguments") or {})
    lists = {k: arguments.pop(k) for k in _VALUE_LISTS if isinstance(arguments.get(k), list)}
    if arguments:
        checks["arguments"] = arguments
    allowed: tuple[Bound, ...] | None = None
    expected = None
    for op, make in _OPERATORS.items():
        if op in rule:
            if _numeric(rule[op]):
                allowed = make(rule[op])
            else:
                expected = f"{op} {_text(rule[op])}"
            break
    checked = _text(checks)
    label = str(rule.get("name") or rule.get("metric") or rule.get("type") or "rule")
    valid, invalid = lists.get("validValues"), lists.get("invalidValues")
    return QualityRule(
        key=str(rule.get("id") or rule.get("name") or checked),
        label=label,
        checks=checked,
        allowed=allowed,
        expected=expected,
        valid_values=frozenset(map(_text, valid)) if valid is not None else None,
        invalid_values=frozenset(map(_text, invalid)) if invalid is not None else None,
        severity=str(rule["severity"]).lower() if "severity" in rule else None,
        notes=_text({k: rule[k] for k in _NOTES if k in rule}),
    )


def quality_rules(items: Sequence[Mapping[str, Any]] | None) -> tuple[QualityRule, ...]:
    """The `quality` rules of a schema object or property; unnamed twins get a `#n` key."""
    rules: list[QualityRule] = []
    seen: dict[str, int] = {}
    for item in items or ():
        rule = _one_rule(item)
        seen[rule.key] = seen.get(rule.key, 0) + 1
        if seen[rule.key] > 1:
            rule = QualityRule(
                f"{rule.key}#{seen[rule.key]}",
                rule.label,
                rule.checks,
                rule.allowed,
                rule.expected,
                rule.valid_values,
                rule.invalid_values,
                rule.severity,
                rule.notes,
            )
        rules.append(rule)
    return tuple(rules)


def _point(value: Any) -> float | None:
    """A bound as a number: numbers as they are, ISO dates and timestamps on one time line."""
    if _numeric(value):
        return float(value)
    if isinstance(value, str):
        for parse in (datetime.fromisoformat, date.fromisoformat):
            try:
                moment = parse(value)
            except ValueError:
                continue
            if isinstance(moment, datetime):
                return moment.timestamp() if moment.tzinfo else moment.toordinal() * 86400.0
            return moment.toordinal() * 86400.0
    return None


def _range(options: Mapping[str, Any], label: str, low: str, high: str) -> QualityRule | None:
    """A `logicalTypeOptions` range (`low`/`exclusive<Low>`, `high`/...) as a rule on values.

    `low` and `high` name the inclusive bounds; ODCS names the exclusive ones
    `exclusiveMinimum`/`exclusiveMaximum` (for a range of values only).
    """
    exclusive = {"minimum": "exclusiveMinimum", "maximum": "exclusiveMaximum"}
    keys = [k for k in (low, high, exclusive.get(low, ""), exclusive.get(high, "")) if k]
    present = [k for k in keys if k in options]
    if not present:
        return None
    points = {k: _point(options[k]) for k in present}
    shown = ", ".join(f"{k} {_text(options[k])}" for k in present)
    key = f"logicalTypeOptions:{label}"
    if any(v is None for v in points.values()):
        text = _text({k: options[k] for k in present})
        return QualityRule(key, label, label, expected=text, shown=shown)
    lo, lo_closed, hi, hi_closed = -INF, True, INF, True
    for option, value in points.items():
        v = float(value or 0.0)
        if option in (low, exclusive.get(low)):
            closed = option == low
            if v > lo or (v == lo and not closed):
                lo, lo_closed = v, closed
        else:
            closed = option == high
            if v < hi or (v == hi and not closed):
                hi, hi_closed = v, closed
    bound = Bound(lo, hi, lo_closed, hi_closed)
    return QualityRule(key, label, label, allowed=(bound,), shown=shown)


def value_constraints(prop: Mapping[str, Any]) -> tuple[QualityRule, ...]:
    """A property's `logicalTypeOptions` constraints as rules compared like quality rules:
    value ranges, string minLength, array item counts, pattern and multipleOf.

    (maxLength is the string type's length, compared as the type.)
    """
    options = prop.get("logicalTypeOptions")
    if not isinstance(options, dict):
        return ()
    found = [
        _range(options, "value range", "minimum", "maximum"),
        _range(options, "minimum length", "minLength", ""),
        _range(options, "item count", "minItems", "maxItems"),
    ]
    for word in ("pattern", "multipleOf"):
        if word in options:
            text = _text(options[word])
            key = f"logicalTypeOptions:{word}"
            found.append(QualityRule(key, word, word, expected=text, shown=f"{word} {text}"))
    return tuple(r for r in found if r is not None)


def service_levels(
    data: Mapping[str, Any],
    tables: Sequence[str],
    resolve: Callable[[str], tuple[str, str | None] | None],
) -> dict[str, tuple[ServiceLevel, ...]]:
    """Each table's SLAs: an SLA applies to its `element` (or `slaDefaultElement`) when that
    names a table (or `table.column`) of the contract, else to every table."""
    found: dict[str, list[ServiceLevel]] = {t: [] for t in tables}
    default = data.get("slaDefaultElement")
    for sla in data.get("slaProperties") or ():
        element = sla.get("element") or default
        target = resolve(str(element)) if element else None
        value, unit = sla.get("value"), sla.get("unit")
        for table in [target[0]] if target else tables:
            found[table].append(
                ServiceLevel(
                    name=str(sla["property"]),
                    value=_text(value),
                    unit=str(unit) if unit is not None else None,
                    column=target[1] if target else None,
                )
            )
    return {t: tuple(levels) for t, levels in found.items()}
