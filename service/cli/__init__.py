"""The `steward` command line: one group, a module per command, each imported when it runs.

A CI gate runs `steward diff` on every pull request, so a command loads only its own module:
`diff` never imports FastAPI, uvicorn, SQLAlchemy, Alembic or networkx
(tests/unit/test_cli_imports.py checks it in a fresh interpreter).
"""

from __future__ import annotations

import importlib

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
