"""The `steward` command line: one group, a module per command."""

from __future__ import annotations

import click

from service import __version__


@click.group()
@click.version_option(__version__, prog_name="steward")
def main() -> None:
    """Steward: schema evolution and change management for data products."""


from service.cli.diff import diff as diff_command  # noqa: E402
from service.cli.lineage import lineage_command  # noqa: E402
from service.cli.migrate import migrate as migrate_command  # noqa: E402
from service.cli.serve import serve  # noqa: E402
from service.cli.token import token  # noqa: E402

main.add_command(diff_command)
main.add_command(lineage_command)
main.add_command(migrate_command)
main.add_command(serve)
main.add_command(token)

from service.cli.scheduler import scheduler  # noqa: E402

main.add_command(scheduler)
