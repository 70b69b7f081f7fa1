"""The `steward` command line: one group, a module per command, each imported when it runs.

A CI gate runs `steward diff` on every pull request, so a command loads only its own module:
`diff` never imports FastAPI, uvicorn, SQLAlchemy, Alembic or networkx
(tests/unit/test_cli_imports.py checks it in a fresh interpreter).

The `steward` executable is `run`, not the group itself: before a one-shot command (every
command but `serve` and `scheduler`) it raises the cyclic collector's youngest threshold to
100,000 allocations, imports the command and freezes what the import made. Python's default
(700, 10, 10) made a `steward diff` of two 1,000-column files do some 150 collections, a
full one among them, over sqlglot's own objects: 40 to 55 ms of a 300 ms run, and none
since. Tests drive `main` in-process and keep the collector as pytest has it.
"""

from __future__ import annotations

import gc
import importlib
import sys

import click

from service import __version__

# command name -> (module, attribute, one-line help shown by `steward --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": (
        "service.cli.check",
        "check",
        "CI gate: is NEW the current, a compatible or an approved schema of PRODUCT?",
    ),
    "db": ("service.cli.db", "db", "Manage the database schema (upgrade, current)."),
    "diff": ("service.cli.diff", "diff", "Compare OLD and NEW schemas; exit 1 if anything breaks."),
    "lineage": ("service.cli.lineage", "lineage_command", "Print the lineage graph of PATH."),
    "migrate": (
        "service.cli.migrate",
        "migrate",
        "Migration path OLD -> NEW: compatibility views, an alternative, consumers' SQL.",
    ),
    "scheduler": ("service.cli.scheduler", "scheduler", "Send due notices until interrupted."),
    "serve": ("service.cli.serve", "serve", "Start the Steward API."),
    "token": ("service.cli.token", "token", "Manage API tokens."),
}

#: commands that run until stopped: they keep Python's collector (`serve` tunes its own once
#: the app has started, service/api/app.py)
LONG_RUNNING = frozenset({"serve", "scheduler"})
#: a one-shot command's collector thresholds: the youngest generation collected after this
#: many allocations (mypy's command line sets 200,000), the older ones at Python's own
#: ratios, so a long `steward lineage` over a large dbt project still frees its parse
#: trees' cycles (sqlglot's expressions point at their parents)
ONE_SHOT_GC = (100_000, 10, 10)


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use, not when the group loads."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, without importing any of them."""
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named command, importing its module now."""
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """`steward --help` lists the commands from COMMANDS, importing none."""
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="steward")
def main() -> None:
    """Steward: schema evolution and change management for data products."""


def run() -> None:
    """The `steward` executable: `main`, with the collector set for a one-shot command."""
    name = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if name in COMMANDS and name not in LONG_RUNNING:
        gc.set_threshold(*ONE_SHOT_GC)
        importlib.import_module(COMMANDS[name][0])
        gc.freeze()  # the modules' objects: never garbage, no longer walked by a collection
    main()
