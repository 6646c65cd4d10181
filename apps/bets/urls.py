from django.urls import path

from apps.bets import views

app_name = "bets"

urlpatterns = [
    path("", views.my_bets, name="mine"),
    path("<int:bet_id>/cashout", views.cash_out, name="cashout"),
]
