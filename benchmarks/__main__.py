"""Run every benchmark module (or those named): `python -m benchmarks [--quick] [name ...]`."""

from __future__ import annotations

import importlib
import sys

MODULES = ("cli", "diff", "schema_read", "lineage", "api", "notices", "migrate", "health")


def main(argv: list[str]) -> int:
    """Run the selected benchmark modules and print their lines."""
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("--")] or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(MODULES)}")
        return 2
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}{' (quick)' if quick else ''}")
        for line in module.run(quick=quick):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
