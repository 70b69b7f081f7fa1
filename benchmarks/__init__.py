"""Benchmarks: `python -m benchmarks [--quick] [name ...]`; each module has run(quick) -> lines."""
