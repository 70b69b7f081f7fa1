"""Benchmarks: each module's `run(quick)` returns lines with figures and ratios to a floor."""
