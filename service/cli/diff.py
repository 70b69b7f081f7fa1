"""`steward diff OLD NEW`: classify every change between two schemas; the exit code gates CI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from service.diff import LEVELS, PERSPECTIVES, diff_schemas, is_blocking
from service.diff.hints import resolve_renames
from service.diff.report import render_json, render_markdown, render_text, report
from service.errors import SchemaParseError, StewardError
from service.schema import parse_contract, parse_schema
from service.schema.model import Schema

EXIT_OK, EXIT_BREAKING, EXIT_BAD_INPUT = 0, 1, 2
CONTRACT_SUFFIXES = (".yaml", ".yml")


def load_schema(path: Path, dialect: str | None) -> Schema:
    """Read an ODCS `.yaml`/`.yml` contract, or SQL DDL (any other file; a contract is sniffed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SchemaParseError(f"cannot read the file: {e}", source=str(path)) from e
    if path.suffix.lower() in CONTRACT_SUFFIXES:
        return parse_contract(text, dialect=dialect, source=str(path))
    return parse_schema(text, dialect=dialect, source=str(path))


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
    hidden=True,
    help="Lineage source for downstream impact (reserved; not wired yet).",
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
) -> None:
    """Compare OLD and NEW schemas (.sql DDL or ODCS .yaml); exit 1 if anything breaks.

    \b
    Exit status: 0 nothing breaking; 1 a breaking change (or an unknown one,
    unless --allow-unknown) from the chosen --perspective; 2 bad input or usage.
    `--format json` prints one object {"bump", "breaking", "changes": [...]};
    bump and breaking follow --perspective.
    """
    try:
        old_schema = load_schema(old, dialect)
        new_schema = load_schema(new, dialect or old_schema.dialect)
        hints = resolve_renames(renames, old_schema)
        changes = diff_schemas(old_schema, new_schema, renames=hints, level=level)
    except StewardError as e:
        click.echo(f"steward diff: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if downstream is not None:
        # Reserved for lineage: data["impact"] = impact(load(downstream, ...), changes).to_json()
        # after `data` is built; every renderer shows extra keys as their own section.
        click.echo("steward diff: --downstream is not available yet", err=True)
        sys.exit(EXIT_BAD_INPUT)
    data = report(changes, perspective)
    if fmt == "json":
        click.echo(render_json(data))
    elif fmt == "markdown":
        click.echo(render_markdown(data, perspective=perspective), nl=False)
    else:
        click.echo(
            render_text(data, perspective=perspective, color=_use_color()), color=_use_color()
        )
    sys.exit(EXIT_BREAKING if is_blocking(changes, perspective, allow_unknown) else EXIT_OK)
