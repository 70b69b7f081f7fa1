"""`steward diff OLD NEW`: classify every change between two schemas; the exit code gates CI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from lineage import LineageInputError
from service.cli.impact import downstream_impact
from service.diff import LEVELS, PERSPECTIVES, decide, diff_schemas
from service.diff.hints import resolve_renames
from service.diff.report import render_json, render_markdown, render_text, report
from service.errors import SchemaParseError, StewardError
from service.impact import Impact
from service.schema import parse_contract, parse_schema
from service.schema.model import Schema
from service.schema.sniff import KIND as _KIND

EXIT_OK, EXIT_BREAKING, EXIT_BAD_INPUT = 0, 1, 2
CONTRACT_SUFFIXES = (".yaml", ".yml")


def load_schema(path: Path, dialect: str | None) -> Schema:
    """Read an ODCS `.yaml`/`.yml` contract, or SQL DDL (any other file; a contract is sniffed)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SchemaParseError(f"cannot read the file: {e.strerror or e}", source=str(path)) from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SchemaParseError(
            f"not a UTF-8 text file (binary?): byte 0x{data[e.start]:02x} cannot be decoded",
            dialect=dialect,
            line=line,
            column=column,
            source=str(path),
        ) from e
    if path.suffix.lower() in CONTRACT_SUFFIXES:
        if text.strip() and not _KIND.search(text[:200_000]):
            raise SchemaParseError(
                "not an ODCS v3 data contract: a .yaml/.yml file is read as one and must "
                "declare `kind: DataContract` and `apiVersion` (pass SQL DDL as .sql)",
                line=1,
                column=1,
                snippet=text.lstrip().splitlines()[0][:200],
                source=str(path),
            )
        return parse_contract(text, dialect=dialect, source=str(path))
    return parse_schema(text, dialect=dialect, source=str(path))


def describe_error(error: StewardError) -> str:
    """An error for a terminal: `file:line:column: message [dialect]`, the line, a caret."""
    if not isinstance(error, SchemaParseError) or not error.line or not error.source:
        return str(error)
    try:
        lines = Path(error.source).read_bytes().decode("utf-8", "replace").splitlines()
    except OSError:
        return str(error)
    if error.line > len(lines) or "\ufffd" in lines[error.line - 1]:
        return str(error)  # no such line, or not text to show
    text = lines[error.line - 1].replace("\t", " ")
    col = max(error.column or 1, 1)
    start = max(col - 60, 0)  # a long line is shown around the column
    shown = text[start : start + 120].rstrip()
    where = f"{error.source}:{error.line}" + (f":{error.column}" if error.column else "")
    dialect = f" [dialect {error.dialect}]" if error.dialect else ""
    number = str(error.line)
    result = f"{where}: {error.message}{dialect}\n  {number} | {shown}"
    if error.column:
        result += f"\n  {' ' * len(number)} | {' ' * (col - 1 - start)}^"
    return result


def _use_color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@click.command("diff")
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dialect", help="SQL dialect of the DDL (sqlglot's names: postgres, snowflake, ...)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, markdown for a pull-request comment.",
)
@click.option(
    "--perspective",
    type=click.Choice(PERSPECTIVES),
    default="reader",
    show_default=True,
    help="Whose verdict drives the bump and the exit code (both: either side breaking).",
)
@click.option(
    "--level",
    type=click.Choice(LEVELS),
    default="reader",
    show_default=True,
    help="strict also calls widening breaking (for consumers that bind exact types).",
)
@click.option(
    "--rename",
    "renames",
    multiple=True,
    metavar="TABLE.OLD=NEW",
    help="A rename hint: shop.orders.id=order_id renames a column; shop.orders=shop.orders_v2 "
    "renames a table (when the left side names a table of OLD). Repeatable.",
)
@click.option(
    "--allow-unknown", is_flag=True, help="Do not fail on changes the engine cannot classify."
)
@click.option(
    "--downstream",
    type=click.Path(exists=True, path_type=Path),
    metavar="PATH",
    help="Also list what the changes reach downstream: a directory of .sql views, a dbt "
    "manifest.json, or OpenLineage events (.json/.ndjson, a file or a directory).",
)
@click.option(
    "--include-compatible",
    is_flag=True,
    help="With --downstream, also follow changes that are compatible for readers.",
)
def diff(
    old: Path,
    new: Path,
    dialect: str | None,
    fmt: str,
    perspective: str,
    level: str,
    renames: tuple[str, ...],
    allow_unknown: bool,
    downstream: Path | None,
    include_compatible: bool,
) -> None:
    """Compare OLD and NEW schemas (.sql DDL or ODCS .yaml); exit 1 if anything breaks.

    \b
    Exit status: 0 nothing breaking; 1 a breaking change (or an unknown one,
    unless --allow-unknown) from the chosen --perspective; 2 bad input or usage.
    `--format json` prints one object {"bump", "breaking", "unknown",
    "changes": [...]}; bump, breaking (some change breaks) and unknown (some
    change cannot be decided) follow --perspective.

    \b
    --downstream PATH reads what is built on OLD (views' SQL, a dbt manifest,
    OpenLineage events) and adds "impact": {"affected": [{"name", "kind",
    "reads", "columns", "depth", "path", "stops_working", "job", "contacts"}],
    "warnings": [...], "recipients": [...]}, nearest first; "recipients" are
    the contacts the sources declare for the readers reached (dbt exposure
    owners, OpenLineage job owners). Changes breaking (or unknown) for readers propagate; all do
    with --include-compatible. OLD's tables expand SELECT *. Lineage warnings
    (files that do not parse, partial name matches) are listed; they do not
    change the exit status. A PATH lineage cannot read exits 2.
    """
    try:
        old_schema = load_schema(old, dialect)
        new_schema = load_schema(new, dialect or old_schema.dialect)
        hints = resolve_renames(renames, old_schema)
        changes = diff_schemas(old_schema, new_schema, renames=hints, level=level)
    except StewardError as e:
        click.echo(f"steward diff: {describe_error(e)}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    data = report(changes, perspective)
    found = readers = None
    if downstream is not None:
        try:
            found, readers = downstream_impact(
                downstream, changes, old_schema, include_compatible=include_compatible
            )
        except LineageInputError as e:
            click.echo(f"steward diff: --downstream: {e}", err=True)
            sys.exit(EXIT_BAD_INPUT)
    told = _told(readers) if readers is not None else ""
    if fmt == "json":
        if found is not None and readers is not None:
            data["impact"] = found.to_json() | {"recipients": list(readers.recipients)}
        click.echo(render_json(data))
    elif fmt == "markdown":
        section = f"\n{found.to_markdown()}\n{told}" if found is not None else ""
        click.echo(render_markdown(data, perspective=perspective) + section, nl=False)
    else:
        section = f"\n\n{found.to_text()}{told}" if found is not None else ""
        text = render_text(data, perspective=perspective, color=_use_color())
        click.echo(text + section, color=_use_color())
    blocked = decide(changes, perspective).blocks(allow_unknown)
    sys.exit(EXIT_BREAKING if blocked else EXIT_OK)


def _told(readers: Impact) -> str:
    """Who is to be told: the declared contacts of the readers reached (a closing line)."""
    if not readers.recipients:
        return ""
    return f"\nTo be told: {', '.join(readers.recipients)}\n"
