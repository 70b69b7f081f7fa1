"""The fast ODCS validator (jsonschema-rs) agrees with `jsonschema` on what is a valid contract.

parse_contract trusts jsonschema-rs's "valid" and asks `jsonschema` only for the message of
an invalid contract, so the two must agree on every verdict: on each sample contract and
on contracts broken in each of the ways the ODCS schema forbids.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.schema import odcs
from service.schema.contract_yaml import contract_loader

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _samples() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((FIXTURES / "contracts").glob("*.yaml")):
        found.append((path.name, yaml.load(path.read_text(), Loader=contract_loader())))
    for path in sorted((FIXTURES / "diff").glob("odcs_*.yaml")):
        case = yaml.safe_load(path.read_text())
        for side in ("old", "new"):
            found.append((f"{path.stem}.{side}", yaml.load(case[side], Loader=contract_loader())))
    return found


SAMPLES = _samples()
Break = Callable[[dict[str, Any]], None]


def _set(path: tuple[Any, ...], value: Any) -> Break:
    def apply(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return apply


def _drop(key: str) -> Break:
    return lambda data: data.pop(key, None)


BREAKS: dict[str, Break] = {
    "kind is not DataContract": _set(("kind",), "DataProduct"),
    "apiVersion unknown": _set(("apiVersion",), "v9"),
    "id missing": _drop("id"),
    "status not a string": _set(("status",), 3),
    "schema not a list": _set(("schema",), {"name": "t"}),
    "schema object without a name": _set(("schema", 0), {"properties": [{"name": "a"}]}),
    "required not a boolean": _set(("schema", 0, "properties", 0, "required"), "yes"),
    "unknown top-level key": _set(("surprise",), True),
    "unknown property key": _set(("schema", 0, "properties", 0, "surprise"), 1),
    "logicalType unknown": _set(("schema", 0, "properties", 0, "logicalType"), "blob"),
    "servers not a list": _set(("servers",), "prod"),
    # keys only a logicalType's `then` allows (the fast validator states these as names)
    "items on a string property": _set(
        ("schema", 0, "properties", 0), {"name": "a", "logicalType": "string", "items": {}}
    ),
    "items without a logicalType": _set(
        ("schema", 0, "properties", 0), {"name": "a", "items": {"logicalType": "string"}}
    ),
    "properties on an array property": _set(
        ("schema", 0, "properties", 0), {"name": "a", "logicalType": "array", "properties": []}
    ),
    "map on an object property": _set(
        ("schema", 0, "properties", 0),
        {"name": "a", "logicalType": "object", "map": {"key": {}, "value": {}}},
    ),
    "a map without its map": _set(
        ("schema", 0, "properties", 0), {"name": "a", "logicalType": "map"}
    ),
    "unknown key in a nested item": _set(
        ("schema", 0, "properties", 0),
        {"name": "a", "logicalType": "array", "items": {"logicalType": "string", "surprise": 1}},
    ),
    "unknown key in an object's property": _set(
        ("schema", 0, "properties", 0),
        {"name": "a", "logicalType": "object", "properties": [{"name": "b", "surprise": 1}]},
    ),
}

#: properties that use each conditional key where its logicalType allows it
NESTED: dict[str, dict[str, Any]] = {
    "array with items": {"name": "a", "logicalType": "array", "items": {"logicalType": "string"}},
    "object with properties": {
        "name": "a",
        "logicalType": "object",
        "properties": [{"name": "b", "logicalType": "integer", "required": True}],
    },
    "map with key and value": {
        "name": "a",
        "logicalType": "map",
        "map": {"key": {"logicalType": "string"}, "value": {"logicalType": "number"}},
    },
    "array of objects": {
        "name": "a",
        "logicalType": "array",
        "items": {"logicalType": "object", "properties": [{"name": "b"}]},
    },
}


def _verdicts(data: Any) -> tuple[bool, bool]:
    """(jsonschema-rs says valid, jsonschema says valid)."""
    return odcs._fast_validator().is_valid(data), odcs._validator().is_valid(data)


@pytest.mark.parametrize(("name", "data"), SAMPLES, ids=[n for n, _ in SAMPLES])
def test_both_validators_accept_every_sample_contract(name: str, data: dict[str, Any]) -> None:
    assert _verdicts(data) == (True, True)
    assert odcs.contract_error(data) is None


@pytest.mark.parametrize("how", sorted(BREAKS))
@pytest.mark.parametrize(("name", "data"), SAMPLES[:2], ids=[n for n, _ in SAMPLES[:2]])
def test_both_validators_refuse_a_broken_contract(
    name: str, data: dict[str, Any], how: str
) -> None:
    broken = copy.deepcopy(data)
    BREAKS[how](broken)
    assert _verdicts(broken) == (False, False)
    error = odcs.contract_error(broken)
    assert error is not None and error.message


def test_a_key_json_cannot_hold_is_judged_by_jsonschema() -> None:
    data = copy.deepcopy(SAMPLES[0][1])
    data[1] = "an integer key, as YAML allows"
    error = odcs.contract_error(data)
    assert error is not None


@pytest.mark.parametrize("how", sorted(NESTED))
def test_both_validators_accept_a_key_its_logical_type_allows(how: str) -> None:
    data = copy.deepcopy(SAMPLES[0][1])
    data["schema"][0]["properties"][0] = copy.deepcopy(NESTED[how])
    assert _verdicts(data) == (True, True)


def test_the_fast_validator_reads_the_closed_property_as_names() -> None:
    """The restatement applied to the published schema (else the speed-up silently went)."""
    before = json.dumps(odcs._odcs_schema())
    schema = odcs._names_for_unevaluated(odcs._odcs_schema(), "SchemaBaseProperty")
    closed = schema["$defs"]["SchemaBaseProperty"]
    assert "unevaluatedProperties" not in closed
    assert {"name", "physicalType", "items", "map"} <= set(closed["propertyNames"]["enum"])
    assert "unevaluatedProperties" not in schema["$defs"]["SchemaProperty"]
    # the published schema, which `jsonschema` reads, is untouched
    assert json.dumps(odcs._odcs_schema()) == before


def test_a_definition_the_restatement_cannot_read_is_left_as_it_is() -> None:
    schema = {
        "$defs": {
            "P": {
                "properties": {"a": {}},
                "allOf": [
                    {"if": {"oneOf": [{"required": ["a"]}]}, "then": {"properties": {"b": {}}}}
                ],
                "unevaluatedProperties": False,
            }
        }
    }
    assert odcs._names_for_unevaluated(schema, "P") is schema
