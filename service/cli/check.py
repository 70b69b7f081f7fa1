"""`steward check NEW --product NAME`: the CI gate that knows what the workflow approved."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import httpx

EXIT_OK, EXIT_BLOCKED, EXIT_BAD_INPUT = 0, 1, 2


def hints(renames: tuple[str, ...]) -> dict[str, str]:
    """`--rename OLD=NEW` hints as the API's `renames` object; the server resolves them against
    the product's current schema exactly as `steward diff` does against OLD."""
    found: dict[str, str] = {}
    for hint in renames:
        left, eq, right = (part.strip() for part in hint.partition("="))
        if not eq or not left or not right:
            raise click.BadParameter(
                f"{hint!r} is not of the form TABLE.OLD=NEW", param_hint="--rename"
            )
        if left in found:
            raise click.BadParameter(f"{left} is renamed twice", param_hint="--rename")
        found[left] = right
    return found


def ask(
    client: httpx.Client,
    product: str,
    schema: str,
    token: str,
    renames: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST the schema (and rename hints) to the server's gate; the answer's JSON (a click
    error when refused)."""
    response = client.post(
        f"/products/{product}/check",
        json={"schema": schema, "renames": renames or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json() if response.content else {}
    if response.status_code != 200:
        error = body.get("error", {})
        raise click.ClickException(
            f"the server refused the check ({response.status_code}): "
            f"{error.get('message', response.text[:200])}"
        )
    return body


def render(answer: dict[str, Any], fmt: str, path: str) -> str:
    """The answer for a terminal (`text`), GitHub Actions annotations, or a PR comment."""
    passed = bool(answer["passed"])
    message = f"{answer['product']}: {answer['message']}"
    changes = answer.get("diff", {}).get("changes", [])
    if fmt == "github":
        level = "notice" if passed else "error"
        lines = [f"::{level} file={path},title=steward check ({answer['verdict']})::{message}"]
        if not passed:
            lines += [
                f"::warning file={path},title={c['kind']}::{c['table']}"
                f"{'.' + c['column'] if c.get('column') else ''}: {c['reason']}"
                for c in changes
                if c.get("verdict") != "compatible"
            ]
        return "\n".join(lines)
    if fmt == "markdown":
        mark = "✅" if passed else "❌"
        lines = [f"### {mark} Steward check: {answer['product']}", "", answer["message"], ""]
        if answer.get("change_request"):
            lines.append(f"Change request: #{answer['change_request']}")
        if answer.get("effective_at"):
            lines.append(f"Effective from: {answer['effective_at']}")
        if changes:
            lines += ["", "| change | column | verdict | reason |", "| --- | --- | --- | --- |"]
            lines += [
                f"| {c['kind']} | `{c['table']}{'.' + c['column'] if c.get('column') else ''}` "
                f"| {c['verdict']} | {c['reason']} |"
                for c in changes
            ]
        return "\n".join(lines)
    return f"{'ok' if passed else 'blocked'}: {message}"


@click.command("check")
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--product", required=True, help="The product NEW is a schema of.")
@click.option(
    "--server",
    default=lambda: os.environ.get("STEWARD_SERVER", "http://127.0.0.1:8000"),
    show_default="STEWARD_SERVER or http://127.0.0.1:8000",
    help="The Steward server to ask.",
)
@click.option(
    "--rename",
    "renames",
    multiple=True,
    metavar="TABLE.OLD=NEW",
    help="A rename hint, as for `steward diff` (resolved against the product's current "
    "schema). Repeatable.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "github", "markdown"]), default="text")
def check(new: Path, product: str, server: str, renames: tuple[str, ...], fmt: str) -> None:
    """Exit 0 when NEW may ship: it is the product's current schema, compatible with it, or the
    schema of an approved change request whose effective date has come; exit 1 otherwise,
    naming the change request to open or the date to wait for (token: STEWARD_TOKEN)."""
    wanted = hints(renames)
    token = os.environ.get("STEWARD_TOKEN")
    if not token:
        raise click.UsageError("set STEWARD_TOKEN to a token from `steward token create`")
    try:
        schema = new.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"cannot read {new}: {exc}") from exc
    try:
        with httpx.Client(base_url=server, timeout=30.0) as client:
            answer = ask(client, product, schema, token, wanted)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {server}: {exc}") from exc
    click.echo(render(answer, fmt, str(new)))
    raise SystemExit(EXIT_OK if answer["passed"] else EXIT_BLOCKED)
