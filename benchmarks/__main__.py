"""Run the benchmark modules (all, or those named) and print their lines."""

from __future__ import annotations

import importlib
import sys

MODULES: tuple[str, ...] = ("api",)


def main(argv: list[str]) -> int:
    """Run each selected benchmark module's run(quick)."""
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("-")] or list(MODULES)
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}")
        for line in module.run(quick=quick):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
