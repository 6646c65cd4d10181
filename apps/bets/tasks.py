"""The bets' tasks, where Celery looks for them."""

from apps.bets.cashout import decide_cash_out
from apps.bets.live import announce_liability, decide_live_bet, sweep_pending, sweep_settlements

__all__ = [
    "announce_liability",
    "decide_cash_out",
    "decide_live_bet",
    "sweep_pending",
    "sweep_settlements",
]
