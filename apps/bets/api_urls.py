"""The bets' routes in the brand's API (``/api/v1/``), included by the brand URL map."""

from django.urls import path

from apps.bets import rest

urlpatterns = [
    path("bets", rest.bets, name="bets"),
    path("bets/<int:bet_id>", rest.BetView.as_view(), name="bet"),
    path("bets/<int:bet_id>/cashout", rest.CashOutView.as_view(), name="bet-cashout"),
]
