"""The bets' tasks, where Celery looks for them."""

from apps.bets.live import decide_live_bet, sweep_pending

__all__ = ["decide_live_bet", "sweep_pending"]
