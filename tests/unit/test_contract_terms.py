"""ODCS terms beyond columns, as parse_contract reads them: enums, quality rules, SLAs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.diff.terms import Move, compare_quality
from service.schema.odcs import parse_contract
from service.schema.odcs_terms import quality_rules

HEAD = """apiVersion: v3.2.0
kind: DataContract
id: c
version: 1.0.0
status: active
"""
TWO_TABLES = """schema:
  - name: orders
    properties:
      - {name: id, logicalType: integer, enum: [{value: 1}, {value: 2}, {value: true}]}
  - name: lines
    properties:
      - {name: id, logicalType: integer}
"""


def test_enum_values_are_read_as_text_in_order() -> None:
    schema = parse_contract(HEAD + TWO_TABLES)
    assert schema.tables[0].columns[0].enum == ("1", "2", "true")


def test_an_sla_without_an_element_applies_to_every_table() -> None:
    sla = "slaProperties: [{property: latency, value: 4, unit: h}]\n"
    schema = parse_contract(HEAD + sla + TWO_TABLES)
    assert [[str(s) for s in t.slas] for t in schema.tables] == [["latency 4 h"], ["latency 4 h"]]


def test_an_sla_element_names_one_table_or_one_column() -> None:
    sla = (
        "slaDefaultElement: lines\n"
        "slaProperties: [{property: latency, value: 4, unit: h},"
        " {property: retention, value: 1, unit: y, element: orders.id}]\n"
    )
    schema = parse_contract(HEAD + sla + TWO_TABLES)
    orders, lines = schema.tables
    assert [(s.name, s.column) for s in orders.slas] == [("retention", "id")]
    assert [(s.name, s.column) for s in lines.slas] == [("latency", None)]


def test_unnamed_twin_rules_get_distinct_keys() -> None:
    rules = quality_rules(
        [
            {"metric": "rowCount", "mustBeGreaterThan": 1},
            {"metric": "rowCount", "mustBeLessThan": 9},
        ]
    )
    assert len({r.key for r in rules}) == 2


def test_a_rule_tightened_one_way_and_relaxed_another_is_a_change() -> None:
    old, new = quality_rules(
        [
            {
                "name": "r",
                "metric": "invalidValues",
                "mustBeLessThan": 10,
                "arguments": {"validValues": ["a", "b"]},
            },
            {
                "name": "r2",
                "metric": "invalidValues",
                "mustBeLessThan": 5,
                "arguments": {"validValues": ["a", "b", "c"]},
            },
        ]
    )
    assert compare_quality(old, new) is Move.CHANGED


def test_a_non_numeric_expected_value_compares_by_equality() -> None:
    old, new = quality_rules(
        [
            {"name": "r", "type": "sql", "query": "q", "mustBe": "x"},
            {"name": "r", "type": "sql", "query": "q", "mustBe": "y"},
        ]
    )
    assert compare_quality(old, old) is Move.SAME
    assert compare_quality(old, new) is Move.CHANGED


def test_the_tighter_of_minimum_and_exclusive_minimum_bounds_the_range() -> None:
    from service.schema.model import Bound
    from service.schema.odcs_terms import value_constraints

    options = {"minimum": 0, "exclusiveMinimum": 0, "maximum": 10, "exclusiveMaximum": 12}
    (rule,) = value_constraints({"logicalTypeOptions": options})
    assert rule.allowed == (Bound(0, 10, lo_closed=False, hi_closed=True),)


OPERATORS = [
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
]
_REVERSED = {Move.TIGHTENED: Move.RELAXED, Move.RELAXED: Move.TIGHTENED}


def _operand(op: str, a: int, b: int) -> object:
    return sorted({a, b + a + 1}) if "Between" in op else a


@given(
    st.sampled_from(OPERATORS),
    st.sampled_from(OPERATORS),
    st.integers(-5, 5),
    st.integers(0, 5),
    st.integers(-5, 5),
    st.integers(0, 5),
)
def test_a_rule_tightened_one_way_is_relaxed_the_other_way(
    op1: str, op2: str, a1: int, b1: int, a2: int, b2: int
) -> None:
    old, new = quality_rules(
        [
            {"name": "r", "metric": "nullValues", op1: _operand(op1, a1, b1)},
            {"name": "r", "metric": "nullValues", op2: _operand(op2, a2, b2)},
        ]
    )
    forth, back = compare_quality(old, new), compare_quality(new, old)
    assert back is _REVERSED.get(forth, forth)
    if op1 == op2 and _operand(op1, a1, b1) == _operand(op2, a2, b2):
        assert forth is Move.SAME
