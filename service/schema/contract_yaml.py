"""contract_loader: the safe YAML loader ODCS contracts are read with.

It is PyYAML's safe loader (libyaml's parser when built), with two differences:

- dates and timestamps stay strings, as the ODCS JSON schema wants them;
- plain mappings, sequences, strings, booleans and nulls are built by one loop with its own
  stack instead of PyYAML's constructor (a Python call, and for each collection a
  generator, per node: that cost more than libyaml's parse), and each plain scalar's tag is
  resolved once per spelling. Every other scalar (numbers, explicit tags) is still built by
  PyYAML's constructor, and a document with merge keys (`<<`), non-scalar keys or other
  collection tags is handed to PyYAML's own `construct_document` whole. The loop keeps an
  alias one object (recursive ones too) and, unlike a recursive builder, has no depth limit.

`tests/unit/test_contract_yaml.py` checks it builds what PyYAML builds, shape by shape.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_TAG = "tag:yaml.org,2002:"
#: scalar keys whose value the fast loop may use as a dict key (PyYAML builds the same)
_SCALAR_KEYS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))
#: distinct scalar spellings whose tag is remembered, per loader class
_TAG_MEMO = 10_000
#: a scalar longer than this is resolved each time (not worth remembering)
_MEMO_LENGTH = 100


class _Unusual(Exception):
    """A node the fast loop leaves to PyYAML's constructor."""


@cache
def contract_loader() -> type[Any]:
    """The loader class (built once per process, on first use, so YAML is imported late)."""
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    str_tag, map_tag, seq_tag = _TAG + "str", _TAG + "map", _TAG + "seq"
    bool_tag, null_tag = _TAG + "bool", _TAG + "null"
    bools = yaml.constructor.SafeConstructor.bool_values  # as construct_yaml_bool reads them
    resolve: Any = base.resolve
    tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def resolve_once(self: Any, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        # With no path resolvers registered, a scalar's tag depends on its text and
        # implicit flags alone.
        if kind is not scalar_node or len(value) > _MEMO_LENGTH:
            return str(resolve(self, kind, value, implicit))
        key = (value, implicit)
        tag = tags.get(key)
        if tag is None:
            if len(tags) >= _TAG_MEMO:
                tags.clear()
            tag = tags[key] = str(resolve(self, kind, value, implicit))
        return tag

    def build(self: Any, root: Any) -> Any:
        built: dict[int, Any] = {}  # id(node) -> its object: an alias is the same object
        pending: list[tuple[Any, Any]] = []  # (collection node, its object, still empty)

        def make(node: Any) -> Any:
            kind = type(node)
            if kind is scalar_node:
                tag = node.tag
                if tag == str_tag:
                    return node.value
                if tag == bool_tag:
                    return bools[node.value.lower()]
                if tag == null_tag:
                    return None
                return self.construct_object(node)
            done = built.get(id(node))
            if done is not None:
                return done
            made: Any
            if kind is mapping_node and node.tag == map_tag:
                made = {}
            elif kind is sequence_node and node.tag == seq_tag:
                made = []
            else:
                raise _Unusual
            built[id(node)] = made
            pending.append((node, made))
            return made

        data = make(root)
        while pending:
            node, made = pending.pop()
            if type(made) is dict:
                # Most keys and values are plain strings: those skip the call to make.
                for key_node, value_node in node.value:
                    if type(key_node) is not scalar_node:
                        raise _Unusual
                    tag = key_node.tag
                    if tag == str_tag:
                        key = key_node.value
                    elif tag in _SCALAR_KEYS:
                        key = make(key_node)
                    else:
                        raise _Unusual
                    if type(value_node) is scalar_node and value_node.tag == str_tag:
                        made[key] = value_node.value
                    else:
                        made[key] = make(value_node)
            else:
                made.extend([make(item) for item in node.value])
        return data

    def construct_document(self: Any, node: Any) -> Any:
        try:
            data = build(self, node)
        except _Unusual:
            return base.construct_document(self, node)
        self.constructed_objects = {}
        return data

    loader: Any = type(
        "ContractLoader",
        (base,),
        {"resolve": resolve_once, "construct_document": construct_document},
    )
    loader.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != _TAG + "timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return loader  # type: ignore[no-any-return]
