"""Benchmarks for Six Ways: see docs/performance.md."""
