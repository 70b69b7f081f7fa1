"""The `steward` executable (`service.cli:run`) sets the collector for one-shot commands only."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from service.cli import LONG_RUNNING, ONE_SHOT_GC

PROBE = """
import gc, json, sys
from service.cli import run
sys.argv = ["steward", *sys.argv[1:]]
try:
    run()
except SystemExit:
    pass
print(json.dumps([list(gc.get_threshold()), gc.get_freeze_count()]), file=sys.stderr)
"""


#: Python's own thresholds, as a fresh interpreter has them (this one's may have been tuned
#: by an app a test started)
DEFAULT = tuple(
    json.loads(
        subprocess.run(
            [sys.executable, "-c", "import gc, json; print(json.dumps(gc.get_threshold()))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
)


def collector_after(*args: str) -> tuple[tuple[int, ...], int]:
    """(thresholds, frozen objects) in a fresh interpreter after `steward ARGS`."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    thresholds, frozen = json.loads(done.stderr.strip().splitlines()[-1])
    return tuple(thresholds), frozen


def test_the_installed_executable_is_run() -> None:
    (script,) = entry_points(group="console_scripts", name="steward")
    assert script.value == "service.cli:run"


@pytest.mark.parametrize("command", ["diff", "check", "migrate"])
def test_a_one_shot_command_runs_with_high_thresholds_and_its_imports_frozen(
    command: str,
) -> None:
    thresholds, frozen = collector_after(command, "--help")
    assert thresholds == ONE_SHOT_GC
    assert frozen > 10_000  # sqlglot's and the command's own objects


@pytest.mark.parametrize("command", sorted(LONG_RUNNING))
def test_a_long_running_command_keeps_pythons_collector(command: str) -> None:
    thresholds, frozen = collector_after(command, "--help")
    assert thresholds == DEFAULT and frozen == 0


def test_group_options_and_unknown_words_keep_pythons_collector() -> None:
    assert collector_after("--version") == (DEFAULT, 0)
    assert collector_after("nonsense") == (DEFAULT, 0)
