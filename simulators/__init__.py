"""The outside world, simulated, for development, tests and benchmarks: an odds provider speaking
the Unified Odds Feed (``uof``), a video stream provider (``video``) and an operator's wallet
(``operator_wallet``). Each is started by a ``manage.py`` command of this app (``feed_simulator``,
``video_simulator``, ``operator_wallet_simulator``) and by ``make run``.

The simulators speak the platform's protocols and may import the apps' protocol modules; the
platform never imports them (an import-linter contract in ``pyproject.toml``).
"""
