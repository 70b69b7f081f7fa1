"""`steward diff` as a CI gate runs it: a whole process, start-up included.

Two rows of the table in docs/benchmarks.md:

- a two-column pair through `steward diff`, against the floor `python -c "import sqlglot;
  sqlglot.parse(OLD); sqlglot.parse(NEW)"` (goal: at most 1.5x);
- an ODCS contract pair through `steward diff`, against a DDL pair of the same tables and
  columns through `steward diff` (goal: at most 1.2x).

Figures are the CPU time (user + system) of the child process, so waiting for a core on a
shared machine does not count. The variants run back to back in rounds; a row's ratio is
the median over rounds of each round's ratio (a round's two runs share the machine's
state; on a virtual machine one command's CPU time moves by a quarter between runs, so the
best of each side alone, taken from different rounds, swings the ratio by as much), with
the rounds' range beside it. The children run with bytecode caching on
(PYTHONDONTWRITEBYTECODE unset) and are run once untimed first, as an installed package
would be.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SMALL_GOAL = 1.5
CONTRACT_GOAL = 1.2
FLOOR = "import sys, sqlglot; [sqlglot.parse(open(p).read()) for p in sys.argv[1:]]"
STEWARD = "import sys; from service.cli import run; sys.argv[0] = 'steward'; run()"


def _cpu(args: list[str]) -> float:
    """CPU seconds (user + system) of one child process running `args`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _rounds(floor: list[str], ours: list[str], rounds: int) -> tuple[float, float, list[float]]:
    """(floor's median CPU seconds, ours, each round's ratio ours / floor)."""
    _cpu(floor)  # warm: bytecode written, files in the page cache
    _cpu(ours)
    floors, oursides, ratios = [], [], []
    for _ in range(rounds):
        f, o = _cpu(floor), _cpu(ours)
        floors.append(f)
        oursides.append(o)
        ratios.append(o / f)
    return statistics.median(floors), statistics.median(oursides), ratios


def _row(ratios: list[float], goal: float) -> str:
    ratio = statistics.median(ratios)
    verdict = "ok" if ratio <= goal else f"ABOVE the {goal}x goal"
    return (
        f"ratio {ratio:5.3f}x, median of {len(ratios)} rounds "
        f"(range {min(ratios):4.2f}-{max(ratios):4.2f}; {verdict})"
    )


def _contract(columns: int, widened: bool) -> str:
    kind = "'NUMBER(14, 2)'" if widened else "'NUMBER(12, 2)'"
    props = "\n".join(
        f"      - {{name: col_{c}, physicalType: {kind if c == 1 else 'INT'}, "
        f"required: {str(c % 2 == 0).lower()}}}"
        for c in range(columns)
    )
    return (
        "apiVersion: v3.0.2\nkind: DataContract\nid: bench\nversion: 1.0.0\nstatus: active\n"
        "servers: [{server: p, type: snowflake, account: a, database: d, schema: s}]\n"
        f"schema:\n  - name: orders\n    properties:\n{props}\n"
    )


def _ddl(columns: int, widened: bool) -> str:
    kind = "NUMBER(14, 2)" if widened else "NUMBER(12, 2)"
    body = ",\n".join(
        f"  col_{c} {kind if c == 1 else 'INT'}{' NOT NULL' if c % 2 == 0 else ''}"
        for c in range(columns)
    )
    return f"CREATE TABLE orders (\n{body}\n);\n"


def run(quick: bool = False) -> list[str]:
    """Time the whole `steward diff` process against its floors."""
    rounds = 3 if quick else 15
    columns = 200 if quick else 1000
    py = sys.executable
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "old.sql").write_text("CREATE TABLE t (a INT, b TEXT);\n")
        (d / "new.sql").write_text("CREATE TABLE t (a BIGINT, b TEXT);\n")
        pair = [str(d / "old.sql"), str(d / "new.sql")]
        floor, ours, ratios = _rounds(
            [py, "-c", FLOOR, *pair], [py, "-c", STEWARD, "diff", *pair], rounds
        )
        lines.append(
            f"steward diff, two-column pair: floor (python -c 'import sqlglot; parse both') "
            f"{floor * 1e3:6.0f} ms CPU  steward diff {ours * 1e3:6.0f} ms CPU  "
            + _row(ratios, SMALL_GOAL)
        )
        for name, make in (("sql", _ddl), ("yaml", _contract)):
            (d / f"old.{name}").write_text(make(columns, False))
            (d / f"new.{name}").write_text(make(columns, True))
        sql = [str(d / "old.sql"), str(d / "new.sql"), "--dialect", "snowflake"]
        yaml = [str(d / "old.yaml"), str(d / "new.yaml")]
        ddl_s, odcs_s, ratios = _rounds(
            [py, "-c", STEWARD, "diff", *sql], [py, "-c", STEWARD, "diff", *yaml], rounds
        )
        lines.append(
            f"steward diff, {columns}-column pair: DDL {ddl_s * 1e3:6.0f} ms CPU  "
            f"ODCS contracts {odcs_s * 1e3:6.0f} ms CPU  " + _row(ratios, CONTRACT_GOAL)
        )
    return lines


if __name__ == "__main__":
    for line in run(quick="--quick" in sys.argv):
        print(line, flush=True)
