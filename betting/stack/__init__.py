"""The development stack: embedded services when no URLs are given, every role under one
supervisor. ``python -m betting.stack run`` is what ``make run`` calls; the test suite and the
benchmarks resolve the same services through ``betting.stack.services``."""
