"""The development stack: embedded services when no URLs are given, every role under one
supervisor. ``python -m betting.stack run`` is what ``make run`` calls; ``test`` and ``bench`` set
up the same environment for the test suite and the benchmarks."""
