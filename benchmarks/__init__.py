"""Benchmarks: each module exposes run(quick) -> lines with figures and ratios to a floor."""
