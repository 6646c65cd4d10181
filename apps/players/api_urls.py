"""The players' routes in the brand's API (``/api/v1/``), included by the brand URL map."""

from django.urls import path

from apps.players import rest

urlpatterns = [
    path("players", rest.PlayersView.as_view(), name="players"),
    path("session", rest.SessionView.as_view(), name="session"),
    path("me", rest.MeView.as_view(), name="me"),
    path("me/password", rest.PasswordView.as_view(), name="me-password"),
]
