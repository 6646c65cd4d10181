from django.urls import path

from apps.wallet import views

app_name = "wallet"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("summary", views.summary, name="summary"),
]
