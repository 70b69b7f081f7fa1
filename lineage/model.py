"""Plain values lineage returns: warnings, changes, reads, affected objects and the impact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

#: Change kinds after which a query that mentions the column (or table) fails outright.
STOPPING_KINDS = frozenset({"column_removed", "column_renamed", "table_removed", "table_renamed"})
#: Change kinds that only reach readers of every column (``SELECT *`` or table-level readers).
WIDENING_THE_SET = frozenset({"column_added", "table_added"})

#: How many reads or columns the text and Markdown sections list per object.
BRIEF = 8


def _brief(items: list[str]) -> str:
    """The first few items, then how many more (the JSON form always has them all)."""
    shown = ", ".join(items[:BRIEF])
    return f"{shown} and {len(items) - BRIEF} more" if len(items) > BRIEF else shown


@dataclass(frozen=True, slots=True)
class LineageWarning:
    """Something lineage could not resolve; the object it concerns is kept at table level."""

    reason: str
    file: str | None = None
    line: int | None = None
    object: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The warning as a JSON-ready dict."""
        return {"file": self.file, "line": self.line, "object": self.object, "reason": self.reason}

    def __str__(self) -> str:
        where = self.file or self.object or "lineage"
        return f"{where}:{self.line}: {self.reason}" if self.line else f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ColumnChange:
    """One change as the diff reports it: resolved table, column (None: table-level), kind."""

    table: str
    column: str | None
    kind: str
    breaking: bool = True


@dataclass(frozen=True, slots=True)
class Contact:
    """Who a lineage source says answers for an object: a dbt exposure's owner, the owner an
    OpenLineage job declares (its `ownership` facet). `email` is None when only a name is known."""

    email: str | None
    name: str | None = None
    role: str = "owner"

    def to_json(self) -> dict[str, Any]:
        """The contact as a JSON-ready dict."""
        return {"email": self.email, "name": self.name, "role": self.role}


class Read(NamedTuple):
    """One upstream column an affected object reads, and how (projected, filtered, ...).

    A named tuple rather than a dataclass: impact builds one per edge it reports, and
    tuples are several times cheaper to make.
    """

    table: str
    column: str | None
    how: str

    def to_json(self) -> dict[str, Any]:
        """The read as a JSON-ready dict."""
        return {"table": self.table, "column": self.column, "how": self.how}

    def __str__(self) -> str:
        return f"{self.table}.{self.column or '*'} ({self.how})"


class Affected:
    """One downstream object a change reaches, with what it reads and the outputs it taints.

    Read-only. `reads` and `columns` may be given as `later`, a function computing both,
    called on first access: a large impact reports hundreds of thousands of reads, and a
    caller that wants only names and paths should not pay for them.
    """

    __slots__ = (
        "_columns",
        "_later",
        "_reads",
        "changes",
        "contacts",
        "depth",
        "job",
        "kind",
        "name",
        "path",
        "stops_working",
    )

    def __init__(
        self,
        name: str,
        kind: str,
        reads: tuple[Read, ...] = (),
        columns: tuple[str, ...] = (),
        depth: int = 1,
        path: tuple[str, ...] = (),
        stops_working: bool = False,
        *,
        later: Callable[[], tuple[tuple[Read, ...], tuple[str, ...]]] | None = None,
        changes: tuple[int, ...] = (),
        contacts: tuple[Contact, ...] = (),
        job: str | None = None,
    ) -> None:
        self.name, self.kind, self.depth, self.path = name, kind, depth, path
        self.stops_working = stops_working
        #: Positions (in the changes given to `impact`) of the changes that reach the object.
        self.changes = changes
        #: Who the object's source names as answering for it (exposure owner, job owner).
        self.contacts = contacts
        #: The OpenLineage job (``namespace/name``) that writes the object, if one does.
        self.job = job
        self._reads, self._columns, self._later = reads, columns, later

    def _resolve(self) -> None:
        """Compute the deferred reads and columns, once."""
        if self._later is not None:
            self._reads, self._columns = self._later()
            self._later = None

    @property
    def reads(self) -> tuple[Read, ...]:
        """The upstream columns the object reads that carry a change, and how."""
        self._resolve()
        return self._reads

    @property
    def columns(self) -> tuple[str, ...]:
        """The object's output columns that carry a change (all of them if it stops)."""
        self._resolve()
        return self._columns

    def _key(self) -> tuple[Any, ...]:
        return (
            self.name,
            self.kind,
            self.reads,
            self.columns,
            self.depth,
            self.path,
            self.stops_working,
            self.changes,
            self.contacts,
            self.job,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Affected) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.name, self.kind, self.depth, self.path, self.stops_working))

    def __repr__(self) -> str:
        return (
            f"Affected(name={self.name!r}, kind={self.kind!r}, reads={self.reads!r}, "
            f"columns={self.columns!r}, depth={self.depth!r}, path={self.path!r}, "
            f"stops_working={self.stops_working!r}, changes={self.changes!r}, "
            f"contacts={self.contacts!r}, job={self.job!r})"
        )

    def to_json(self) -> dict[str, Any]:
        """The affected object as a JSON-ready dict."""
        return {
            "name": self.name,
            "kind": self.kind,
            "reads": [read.to_json() for read in self.reads],
            "columns": list(self.columns),
            "depth": self.depth,
            "path": list(self.path),
            "stops_working": self.stops_working,
            "job": self.job,
            "contacts": [contact.to_json() for contact in self.contacts],
        }


@dataclass(frozen=True, slots=True)
class Impact:
    """Every object a set of changes reaches, nearest first, and what lineage could not resolve."""

    affected: tuple[Affected, ...]
    warnings: tuple[LineageWarning, ...] = ()

    def names(self) -> set[str]:
        """The names of the affected objects."""
        return {item.name for item in self.affected}

    def to_json(self) -> dict[str, Any]:
        """The impact as `steward diff --format json` embeds it."""
        return {
            "affected": [item.to_json() for item in self.affected],
            "warnings": [warning.to_json() for warning in self.warnings],
        }

    def to_text(self) -> str:
        """A plain-text section for the diff's text output."""
        if not self.affected:
            lines = ["Downstream impact: nothing downstream reads the changed columns."]
        else:
            lines = [f"Downstream impact: {len(self.affected)} object(s) affected"]
            for item in self.affected:
                state = "stops working" if item.stops_working else "reads changed data"
                lines.append(f"  {item.name} ({item.kind}, depth {item.depth}, {state})")
                lines.append(f"    via {' -> '.join(item.path)}")
                lines.append(f"    reads {_brief([str(read) for read in item.reads])}")
                if item.columns:
                    lines.append(f"    columns carrying the change: {_brief(list(item.columns))}")
                if item.job:
                    lines.append(f"    written by job {item.job}")
                told = [c.email or c.name or "" for c in item.contacts]
                if told:
                    lines.append(f"    contact: {', '.join(told)}")
        lines.extend(f"  warning: {warning}" for warning in self.warnings)
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A Markdown section for the diff's markdown output."""
        lines = ["### Downstream impact", ""]
        if not self.affected:
            lines.append("Nothing downstream reads the changed columns.")
        else:
            lines += [
                "| object | kind | depth | stops working | reads | columns | path |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for item in self.affected:
                reads = _brief([_code(str(read)) for read in item.reads])
                columns = _brief([_code(column) for column in item.columns]) or "-"
                stops = "yes" if item.stops_working else "no"
                path = " → ".join(_cell(name) for name in item.path)
                lines.append(
                    f"| {_code(item.name)} | {item.kind} | {item.depth} | {stops} | {reads}"
                    f" | {columns} | {path} |"
                )
        if self.warnings:
            lines += ["", "Lineage warnings:", ""]
            lines += [f"- {_cell(str(warning))}" for warning in self.warnings]
        return "\n".join(lines)


def _cell(text: str) -> str:
    r"""Text safe in a Markdown table cell: pipes, backticks and backslashes escaped.

    >>> print(_cell("a|b `c`"))
    a\|b \`c\`
    """
    return "".join(f"\\{char}" if char in _MARKUP else char for char in text)


def _code(text: str) -> str:
    r"""Text as a code span in a Markdown table cell (a pipe escaped, backticks fenced).

    >>> print(_code("a|b"), _code("a`b"))
    `a\|b` `` a`b ``
    """
    text = text.replace("|", "\\|")
    if "`" not in text:
        return f"`{text}`"
    fence = "`" * (_longest_run(text) + 1)
    return f"{fence} {text} {fence}"


def _longest_run(text: str) -> int:
    """The length of the longest run of backticks in text."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


#: Characters that would end a table cell, open a code span or escape the next character.
_MARKUP = frozenset("\\|`")
