"""Run the benchmarks: `python -m benchmarks [--quick] [name ...]`."""

from __future__ import annotations

import importlib
import sys

MODULES = ("lineage",)


def main(argv: list[str]) -> int:
    """Run the named benchmark modules (all by default) and print their lines."""
    quick = "--quick" in argv
    names = [arg for arg in argv if not arg.startswith("-")] or list(MODULES)
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"## {name}")
        for line in module.run(quick=quick):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
