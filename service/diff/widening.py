"""How two column types compare: same, widened, narrowed, another family, or unknown.

The tables a reviewer may argue about (fraction digits per dialect, fixed-length and national
strings, ODCS logical subtyping) are data here; each family has one comparator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from service.schema.model import ColumnType, TypeFamily


class Shift(StrEnum):
    """How a column's type moved: the answer of the type comparison."""

    SAME = "same"
    WIDENED = "widened"
    NARROWED = "narrowed"
    CHANGED = "changed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class TypeComparison:
    """The shift between two types and why, in words a consumer understands."""

    shift: Shift
    detail: str = ""


# Fractional-second digits a TIME/TIMESTAMP has when none are written, per dialect.
DEFAULT_FRACTION_DIGITS: Mapping[str, int] = {
    "snowflake": 9,
    "tsql": 7,
    "mysql": 0,
    "oracle": 6,
    "bigquery": 6,
    "postgres": 6,
    "redshift": 6,
    "duckdb": 6,
    "spark": 6,
    "databricks": 6,
}
DEFAULT_FRACTION = 6

# Fixed-length spellings; their values are padded, so turning one into a varying
# string keeps every value but the reverse pads them (silently different values).
FIXED_LENGTH_STRINGS = frozenset({"CHAR", "NCHAR", "BINARY", "FIXEDSTRING"})

# Unicode ("national") spellings where the plain one stores a code page (SQL Server).
NATIONAL_STRINGS = frozenset({"NCHAR", "NVARCHAR", "NTEXT"})

_NO_LONGER_FITS = "some existing values no longer fit"
_OTHER_FAMILY = "queries and comparisons on it can fail or change meaning"


def _int_range(t: ColumnType) -> tuple[int, int] | None:
    if t.bits is None:
        return None
    if t.unsigned:
        return 0, 2**t.bits - 1
    return -(2 ** (t.bits - 1)), 2 ** (t.bits - 1) - 1


def _ordered(old_fits: bool, new_fits: bool, detail: str = _NO_LONGER_FITS) -> TypeComparison:
    """Same when each holds the other's values, widened when the new one holds the old's."""
    if old_fits:
        return TypeComparison(Shift.SAME if new_fits else Shift.WIDENED)
    return TypeComparison(Shift.NARROWED, detail)


def _integers(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    # Compare value ranges, so INT UNSIGNED -> INT and INT -> BIGINT UNSIGNED both
    # narrow: some old values (large or negative ones) fall outside the new range.
    a, b = _int_range(old), _int_range(new)
    if a is None or b is None:
        return TypeComparison(Shift.UNKNOWN, "the engine does not know the width of one of them")
    return _ordered(b[0] <= a[0] and a[1] <= b[1], a[0] <= b[0] and b[1] <= a[1])


_UNBOUNDED = 10**9


def _decimal_digits(t: ColumnType) -> tuple[int, int]:
    """(integer digits, scale); an unconstrained DECIMAL holds any digits."""
    if t.precision is None:
        return _UNBOUNDED, _UNBOUNDED if t.scale is None else t.scale
    scale = t.scale or 0
    return t.precision - scale, scale


def _decimals(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    (oi, os), (ni, ns) = _decimal_digits(old), _decimal_digits(new)
    detail = (
        "existing values lose fractional digits"
        if ns < os
        else "large existing values no longer fit"
    )
    return _ordered(ni >= oi and ns >= os, oi >= ni and os >= ns, detail)


def _float_bits(t: ColumnType) -> int | None:
    return t.bits or t.precision


def _floats(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    a, b = _float_bits(old), _float_bits(new)
    if a is None or b is None:
        return TypeComparison(
            Shift.UNKNOWN, "the engine does not know the precision of one of them"
        )
    return _ordered(b >= a, a >= b, "existing values lose precision")


def _strings(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    a = _UNBOUNDED if old.length is None else old.length
    b = _UNBOUNDED if new.length is None else new.length
    old_fixed, new_fixed = old.name in FIXED_LENGTH_STRINGS, new.name in FIXED_LENGTH_STRINGS
    if new_fixed and not old_fixed:
        return TypeComparison(Shift.NARROWED, "existing values are padded to a fixed length")
    old_wide, new_wide = old.name in NATIONAL_STRINGS, new.name in NATIONAL_STRINGS
    if old_wide and not new_wide:
        return TypeComparison(Shift.NARROWED, "characters outside the code page are lost")
    same_kind = new_fixed == old_fixed and new_wide == old_wide
    return _ordered(b >= a, a >= b and same_kind, "longer existing values no longer fit")


def _fraction(t: ColumnType, dialect: str) -> int:
    if t.precision is not None:
        return t.precision
    return DEFAULT_FRACTION_DIGITS.get(dialect, DEFAULT_FRACTION)


def _times(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    a, b = _fraction(old, dialect), _fraction(new, dialect)
    return _ordered(b >= a, a >= b, "existing values lose fractional seconds")


def _enums(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    # For a column's own ENUM the engine reports members as enum_values_* changes
    # instead; this answer matters for ENUMs nested in arrays and structs.
    if set(old.values) == set(new.values):
        # Same members in another order: ORDER BY on the column changes meaning.
        return TypeComparison(Shift.CHANGED, "its values were reordered, so sorting by it changes")
    removed = [v for v in old.values if v not in new.values]
    return _ordered(not removed, False, f"values {', '.join(removed)} were removed")


def _worst(results: list[TypeComparison]) -> TypeComparison:
    order = (Shift.UNKNOWN, Shift.CHANGED, Shift.NARROWED, Shift.WIDENED)
    for shift in order:
        for r in results:
            if r.shift is shift:
                return r
    return TypeComparison(Shift.SAME)


def _elements(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    if len(old.args) != len(new.args):
        return TypeComparison(Shift.UNKNOWN, "the engine cannot match their element types")
    labels = ("key", "value") if old.family is TypeFamily.MAP else ("element",) * len(old.args)
    parts = []
    for label, a, b in zip(labels, old.args, new.args, strict=True):
        r = compare_types(a, b, dialect)
        parts.append(TypeComparison(r.shift, f"its {label}s: {r.detail}" if r.detail else ""))
    return _worst(parts)


def _structs(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    # Fields are matched by name: readers address them as col.field.
    old_fields, new_fields = dict(old.fields), dict(new.fields)
    missing = [n for n in old_fields if n not in new_fields]
    results = []
    if missing:
        results.append(TypeComparison(Shift.NARROWED, f"field {', '.join(missing)} was removed"))
    for name, t in old_fields.items():
        if name not in new_fields:
            continue
        r = compare_types(t, new_fields[name], dialect)
        detail = f"field {name}: {r.detail}" if r.detail else ""
        results.append(TypeComparison(r.shift, detail))
    if set(new_fields) - set(old_fields):
        results.append(TypeComparison(Shift.WIDENED))
    return _worst(results)


Comparator = Callable[[ColumnType, ColumnType, str], TypeComparison]

# Per family, how two different types of that family compare; a family missing
# here has no order among its members, so a different name is `unknown`.
FAMILY_COMPARATORS: Mapping[TypeFamily, Comparator] = {
    TypeFamily.INTEGER: _integers,
    TypeFamily.DECIMAL: _decimals,
    TypeFamily.FLOAT: _floats,
    TypeFamily.STRING: _strings,
    TypeFamily.BINARY: _strings,
    TypeFamily.TIME: _times,
    TypeFamily.TIMESTAMP: _times,
    TypeFamily.TIMESTAMP_TZ: _times,
    TypeFamily.ENUM: _enums,
    TypeFamily.ARRAY: _elements,
    TypeFamily.MAP: _elements,
    TypeFamily.STRUCT: _structs,
}


# ODCS logical types that hold every value of another: an `integer` is a `number`.
LOGICAL_SUPERTYPES: Mapping[str, frozenset[str]] = {"integer": frozenset({"number"})}


def _logical(old: ColumnType, new: ColumnType) -> TypeComparison | None:
    """Two ODCS logical types compared by their own subtyping, or None: compare as types."""
    if new.logical in LOGICAL_SUPERTYPES.get(old.logical, ()):
        if new.family is TypeFamily.DECIMAL and new.precision is None:
            return TypeComparison(Shift.WIDENED)
        return TypeComparison(Shift.NARROWED, "large integers lose precision")
    if old.logical in LOGICAL_SUPERTYPES.get(new.logical, ()):
        return TypeComparison(Shift.NARROWED, "values with a fractional part no longer fit")
    return None


def compare_types(old: ColumnType, new: ColumnType, dialect: str) -> TypeComparison:
    """How `new` relates to `old`: same, widened, narrowed, changed family, or unknown."""
    if old == new:
        return TypeComparison(Shift.SAME)
    if old.logical and new.logical and old.logical != new.logical:
        found = _logical(old, new)
        if found is not None:
            return found
    if TypeFamily.OTHER in (old.family, new.family):
        return TypeComparison(Shift.UNKNOWN, "the engine does not model one of these types")
    if old.family is not new.family:
        return TypeComparison(Shift.CHANGED, _OTHER_FAMILY)
    comparator = FAMILY_COMPARATORS.get(old.family)
    if comparator is None:
        return TypeComparison(
            Shift.UNKNOWN, "the engine cannot tell whether they hold the same values"
        )
    return comparator(old, new, dialect)
