"""docs/deploying.md is run as written: its `sh` blocks in order, with its Procfile's processes.

The settings block's exports are kept, then the test's own database and a free port are
exported over them; `release` runs first, `web` and `scheduler` in the background, and the
upgrade and health-check blocks must succeed against them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .notifications.conftest import free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploying.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(kind: str) -> list[str]:
    """The fenced blocks of docs/deploying.md with this info string, in order."""
    return [body for info, body in FENCE.findall(DOC.read_text()) if info == kind]


def procfile() -> dict[str, str]:
    """The Procfile block as process name -> command."""
    (text,) = blocks("procfile")
    return dict(line.split(": ", 1) for line in text.strip().splitlines())


def test_the_deployment_guide_runs_as_written(database_url: str, tmp_path: Path) -> None:
    settings, *steps = blocks("sh")
    processes = procfile()
    assert set(processes) == {"release", "web", "scheduler"}
    port = free_port()
    script = "\n".join(
        [
            "set -euo pipefail",
            "trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT",
            settings,
            f"export STEWARD_DATABASE_URL='{database_url}' STEWARD_PORT={port}",
            f"export STEWARD_SMTP_PORT={free_port()}",
            processes["release"],
            f"{processes['web']} &",
            f"{processes['scheduler']} &",
            *steps,
        ]
    )
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert '{"status":"ok",' in done.stdout
    assert "steward db: at" in done.stdout
    assert "already at" in done.stderr  # the second upgrade found nothing to do
