"""The contract loader builds what PyYAML's safe loader builds (with timestamps as strings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from service.schema.contract_yaml import contract_loader

#: every YAML file in the repository's fixtures (contracts, diff and migration cases)
SAMPLES = Path(__file__).parents[2] / "fixtures"

YAML_SHAPES = [
    "a: &x [1, 2]\nb: *x\n",
    "&a [*a]\n",
    "&a {x: *a}\n",
    "base: &b {a: 1}\nchild: {<<: *b, c: 2}\n",
    "base: &b {a: 1}\nlist: [{<<: [*b], c: 2}]\n",
    "a: 1\na: 2\n",
    "? [a, b]\n: 1\n",
    "? {a: 1}\n: 1\n",
    "x: yes\ny: No\nz: ~\nu: 1.5\nt: .inf\ns: 0x1F\nq: 2026-01-01\np: 2026-01-01T10:00:00Z\n",
    "x: =\n",
    "= : 1\n",
    "x: !!str 1\ny: !!int '2'\nz: !!binary aGVsbG8=\n",
    "x: !!set {a, b}\ny: !!omap [a: 1]\n",
    "x: !!pairs [a: 1, b: 2]\n",
    "x: !!timestamp 2026-01-01\n",
    "x: !custom 1\n",
    "x: !!int abc\n",
    "{1: a, 2.5: b, true: c, null: d}\n",
    "a: [&s abc, *s]\nb: &n 5\nc: *n\n",
    "a: *undefined\n",
    "",
    "just a string\n",
    "- 1\n- [2, [3, {a: [4]}]]\n",
    "a: 'quoted yes'\nb: \"0x1F\"\nc: |\n  block\n  text\nd: >\n  folded\n",
    "a: [1, 2\n",
    "a: b: c\n",
    "--- 1\n--- 2\n",
    "x: " + "y" * 500 + "\n",
]


def _plain() -> type[Any]:
    """PyYAML's own safe loader with the contract loader's scalar resolvers."""
    fast = contract_loader()
    plain: Any = type("Plain", (fast.__mro__[1],), {})
    plain.yaml_implicit_resolvers = fast.yaml_implicit_resolvers
    return plain  # type: ignore[no-any-return]


def _load(text: str, loader: type[Any]) -> str:
    try:
        return repr(yaml.load(text, Loader=loader))
    except (yaml.YAMLError, ValueError) as error:  # `!!int abc` is a ValueError in PyYAML too
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("text", YAML_SHAPES)
def test_the_contract_loader_builds_what_pyyamls_constructor_builds(text: str) -> None:
    assert _load(text, contract_loader()) == _load(text, _plain())


def test_timestamps_stay_strings() -> None:
    data = yaml.load("d: 2026-01-01\nt: 2026-01-01T10:00:00Z\n", Loader=contract_loader())
    assert data == {"d": "2026-01-01", "t": "2026-01-01T10:00:00Z"}


def test_an_alias_is_one_object_and_a_recursive_one_refers_to_itself() -> None:
    data = yaml.load("a: &x [1]\nb: *x\nc: &r [*r]\nd: &m {m: *m}\n", Loader=contract_loader())
    assert data["a"] is data["b"]
    assert data["c"][0] is data["c"]
    assert data["d"]["m"] is data["d"]


def _nested(depth: int, style: str) -> str:
    if style == "flow-seq":
        return "[" * depth + "1" + "]" * depth + "\n"
    return "".join(f"{' ' * i}k{i}:\n" for i in range(depth)) + " " * depth + "v\n"


@pytest.mark.parametrize("depth", [500, 999])
@pytest.mark.parametrize("style", ["flow-seq", "block-map"])
def test_deep_nesting_is_built_without_a_depth_limit(depth: int, style: str) -> None:
    """A recursive builder fails at Python's recursion limit (about 500 levels here); the
    loop builds as deep as libyaml reads (it refuses 1,000 levels and more)."""
    text = _nested(depth, style)
    data = yaml.load(text, Loader=contract_loader())
    levels = 0
    while isinstance(data, (list, dict)):
        data = data[0] if isinstance(data, list) else next(iter(data.values()))
        levels += 1
    assert levels == depth
    assert data in (1, None, "v")


@pytest.mark.parametrize("style", ["flow-seq", "block-map"])
def test_nesting_past_libyamls_limit_is_refused_as_pyyaml_refuses_it(style: str) -> None:
    text = _nested(5_000, style)
    assert _load(text, contract_loader()) == _load(text, _plain())
    assert _load(text, contract_loader()).startswith("ScannerError")


def test_the_repository_contracts_load_as_pyyaml_loads_them() -> None:
    paths = sorted(SAMPLES.rglob("*.yaml")) + sorted(SAMPLES.rglob("*.yml"))
    assert paths, "no YAML fixtures found"
    for path in paths:
        text = path.read_text("utf-8")
        assert _load(text, contract_loader()) == _load(text, _plain()), path


_scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["yes", "off", "0x1F", "0o17", "1_000", ".inf", "~", "2026-01-01", "="]),
)
_keys = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.booleans())
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(_documents, st.booleans())
def test_any_dumped_document_loads_as_pyyaml_loads_it(document: Any, flow: bool) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert _load(text, contract_loader()) == _load(text, _plain())
