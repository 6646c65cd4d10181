"""The bets' tasks, where Celery looks for them."""

from apps.bets.live import decide_live_bet

__all__ = ["decide_live_bet"]
