"""`steward lineage PATH`: print the lineage graph of SQL files, a dbt manifest or OpenLineage events."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlglot.dialects.dialect import Dialect

from lineage import LineageInputError, load


@click.command("lineage")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--dialect", default=None, help="sqlglot dialect of the SQL (postgres, snowflake, ...)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "dot", "mermaid"]),
    default="json",
    show_default=True,
)
def lineage_command(path: Path, dialect: str | None, output_format: str) -> None:
    """Print the column-level lineage graph read from PATH."""
    if dialect:
        try:
            Dialect.get_or_raise(dialect)
        except ValueError as error:
            raise click.exceptions.UsageError(f"unknown dialect {dialect!r}: {error}") from error
    try:
        graph = load(path, dialect=dialect)
    except LineageInputError as error:
        click.echo(f"steward lineage: {error}", err=True)
        raise click.exceptions.Exit(2) from error
    for warning in graph.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output_format == "dot":
        click.echo(graph.to_dot(), nl=False)
    elif output_format == "mermaid":
        click.echo(graph.to_mermaid(), nl=False)
    else:
        click.echo(json.dumps(graph.to_json(), indent=2))
