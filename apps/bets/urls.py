from django.urls import path

from apps.bets import views

app_name = "bets"

urlpatterns = [
    path("", views.my_bets, name="mine"),
    path("<int:bet_id>/", views.bet, name="bet"),
    path("<int:bet_id>/card", views.bet_card, name="card"),
    path("<int:bet_id>/cashout", views.cash_out, name="cashout"),
]
