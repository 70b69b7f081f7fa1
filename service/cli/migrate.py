"""`steward migrate OLD NEW`: compatibility views, an alternative, and consumers' SQL rewritten."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from service.cli.diff import EXIT_BAD_INPUT, EXIT_BREAKING, EXIT_OK, describe_error, load_schema
from service.diff.hints import resolve_renames
from service.diff.report import render_json
from service.errors import SchemaParseError, StewardError
from service.migrate import migrate as plan_migration
from service.migrate.report import render_sql, render_text


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as e:
        raise SchemaParseError(f"cannot read the file: {e.strerror or e}", source=str(path)) from e
    except UnicodeDecodeError as e:
        raise SchemaParseError("not a UTF-8 text file", source=str(path)) from e


def _major(version: str) -> int:
    head = version.strip().lstrip("vV").split(".", 1)[0]
    if not head.isdigit():
        raise click.BadParameter(f"{version!r} is not a version such as 1 or 1.4.0")
    return int(head)


@click.command("migrate")
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dialect", help="SQL dialect of the DDL and of the consumers' SQL.")
@click.option(
    "--rename",
    "renames",
    multiple=True,
    metavar="TABLE.OLD=NEW",
    help="A rename hint, as for `steward diff`. Repeatable.",
)
@click.option(
    "--consumer-sql",
    "consumer_sql",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A consumer's SQL written against OLD, to rewrite for NEW. Repeatable.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sql"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, sql: the views and the alternative as a script.",
)
@click.option(
    "--old-version",
    default="1",
    show_default=True,
    help="OLD's version: its major names the views (shop.orders_v1).",
)
def migrate(
    old: Path,
    new: Path,
    dialect: str | None,
    renames: tuple[str, ...],
    consumer_sql: tuple[Path, ...],
    fmt: str,
    old_version: str,
) -> None:
    """The migration path from OLD to NEW: views, an alternative, and each consumer rewritten.

    \b
    Exit status: 0 every consumer's SQL is unchanged or rewritten; 1 some
    consumer's SQL breaks (a removed column, a type that does not cast back);
    2 bad input or usage. `--format json` prints one object {"changes",
    "compatibility_views", "alternative", "consumers"}.
    """
    major = _major(old_version)
    try:
        old_schema = load_schema(old, dialect)
        new_schema = load_schema(new, dialect or old_schema.dialect)
        hints = resolve_renames(renames, old_schema)
        consumers = [(str(path), _read(path)) for path in consumer_sql]
        plan = plan_migration(
            old_schema, new_schema, renames=hints, consumers=consumers, old_major=major
        )
    except StewardError as e:
        click.echo(f"steward migrate: {describe_error(e)}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if fmt == "json":
        click.echo(render_json(plan.to_json()))
    elif fmt == "sql":
        click.echo(render_sql(plan), nl=False)
    else:
        click.echo(render_text(plan), nl=False)
    sys.exit(EXIT_BREAKING if plan.breaks else EXIT_OK)
