"""The wallet's routes in the brand's API (``/api/v1/``), included by the brand URL map."""

from django.urls import path

from apps.wallet import rest

urlpatterns = [
    path("wallet", rest.WalletView.as_view(), name="wallet"),
    path("wallet/transactions", rest.TransactionsView.as_view(), name="wallet-transactions"),
]
