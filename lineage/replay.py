"""Lineage read in one process, applied to a graph in another.

Reading lineage (parsing SQL, qualifying it, tracing each column) is the heavy part; what
it needs of the graph it feeds is only which objects exist, their kinds and the columns of
those known whole. `Recorder` is a graph seeded with exactly that (`known_objects` of the
real graph), which records each change ingestion makes to it as a `Step`; `replay` makes the
same changes, in the same order, to the real graph, with no parsing. The steps are plain
picklable values, so a worker process can read and the API process apply.

>>> real = LineageGraph(schemas={"shop.orders": {"id": "INT", "total": "INT"}})
>>> shadow = Recorder(known_objects(real))
>>> shadow.add_sql("v", "create view shop.big as select * from shop.orders where total > 0")
['shop.big']
>>> replay(real, shadow.steps)
>>> real.columns_of("shop.big"), real.inputs("shop.big")
(['id', 'total'], ['shop.orders'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lineage.graph import LineageGraph


class Op(StrEnum):
    """The graph's changing methods ingestion calls (each named as the method)."""

    ENSURE = "_ensure"
    ADD_TABLE = "add_table"
    DOCUMENT_COLUMNS = "document_columns"
    ADD_OBJECT = "add_object"
    REMOVE_OBJECT = "remove_object"
    DESCRIBE = "describe"
    KNOW = "know"


@dataclass(frozen=True, slots=True)
class Step:
    """One call of a changing method, with its arguments as given (made concrete)."""

    op: Op
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Known:
    """One object as ingestion reads it: its name, kind and columns (None: not known whole)."""

    name: str
    kind: str
    columns: tuple[str, ...] | None


def known_objects(graph: LineageGraph) -> tuple[Known, ...]:
    """What ingestion may read of GRAPH: every object, its kind, and its columns if known."""
    nodes = graph.graph.nodes
    return tuple(
        Known(
            name,
            nodes[name]["kind"],
            tuple(graph.columns_of(name) or ()) if nodes[name]["known"] else None,
        )
        for name in graph.objects()
    )


def _concrete(value: Any) -> Any:
    """A one-shot iterable or a view as a list, a mapping as a dict: kept and picklable."""
    if isinstance(value, (str, bytes, int, float, bool, list, tuple, set, frozenset, dict)):
        return value
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Iterable):
        return list(value)
    return value


class Recorder(LineageGraph):
    """A graph that knows the objects it is seeded with and records every change made to it
    (the outermost call only: a method another one calls is part of that call)."""

    def __init__(self, known: Iterable[Known] = (), dialect: str | None = None) -> None:
        """A graph with KNOWN's objects (no edges) and no steps recorded yet."""
        super().__init__(dialect)
        for item in known:
            data = LineageGraph._ensure(self, item.name, kind=item.kind)
            if item.columns is not None:
                data["columns"], data["known"] = list(item.columns), True
        self.steps: list[Step] = []
        self._depth = 0

    def _call(self, op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        args = tuple(_concrete(a) for a in args)
        kwargs = {k: _concrete(v) for k, v in kwargs.items()}
        if op is Op.ADD_OBJECT and kwargs.get("projections"):
            kwargs["projections"] = {k: list(v) for k, v in kwargs["projections"].items()}
        if self._depth == 0:
            self.steps.append(Step(op, args, tuple(kwargs.items())))
        self._depth += 1
        try:
            return getattr(LineageGraph, op.value)(self, *args, **kwargs)
        finally:
            self._depth -= 1

    def _ensure(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call(Op.ENSURE, args, kwargs)
        return result

    def add_table(self, *args: Any, **kwargs: Any) -> str:
        return str(self._call(Op.ADD_TABLE, args, kwargs))

    def document_columns(self, *args: Any, **kwargs: Any) -> str:
        return str(self._call(Op.DOCUMENT_COLUMNS, args, kwargs))

    def add_object(self, *args: Any, **kwargs: Any) -> str:
        return str(self._call(Op.ADD_OBJECT, args, kwargs))

    def remove_object(self, *args: Any, **kwargs: Any) -> None:
        self._call(Op.REMOVE_OBJECT, args, kwargs)

    def describe(self, *args: Any, **kwargs: Any) -> None:
        self._call(Op.DESCRIBE, args, kwargs)

    def know(self, *args: Any, **kwargs: Any) -> None:
        self._call(Op.KNOW, args, kwargs)


def replay(graph: LineageGraph, steps: Sequence[Step]) -> None:
    """Make the recorded changes to GRAPH, in order."""
    for step in steps:
        getattr(graph, step.op.value)(*step.args, **dict(step.kwargs))
