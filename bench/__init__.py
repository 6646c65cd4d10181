"""Benchmarks of the platform: ``python -m bench <scenario>|all``; see docs/benchmarks.md."""
