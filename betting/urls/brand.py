"""A brand's domains: the site, the public API and the brand's own backoffice."""

from django.urls import include, path

from apps.backoffice.sites import brand_site
from apps.bets import rest as bets_api
from apps.players import rest as players_api
from apps.wallet import rest as wallet_api

api = [
    path("players", players_api.PlayersView.as_view(), name="players"),
    path("session", players_api.SessionView.as_view(), name="session"),
    path("me", players_api.MeView.as_view(), name="me"),
    path("wallet", wallet_api.WalletView.as_view(), name="wallet"),
    path("wallet/transactions", wallet_api.TransactionsView.as_view(), name="wallet-transactions"),
    path("bets", bets_api.bets, name="bets"),
    path("bets/<int:bet_id>/cashout", bets_api.CashOutView.as_view(), name="bet-cashout"),
]

urlpatterns = [
    path("admin/", brand_site.urls),
    path("api/v1/", include((api, "api"), namespace="api")),
    path("account/wallet/", include("apps.wallet.urls")),
    path("account/bets/", include("apps.bets.urls")),
    path("account/", include("apps.players.urls")),
    path("sports/", include("apps.catalog.urls")),
    path("", include("apps.site.urls")),
]
