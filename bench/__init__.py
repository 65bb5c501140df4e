"""Benchmarks: ratios measured within one run (see docs/performance.md)."""
