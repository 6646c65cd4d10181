from django.urls import path

from apps.players import views

app_name = "players"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password, name="password"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "password/reset/<str:uid>/<str:token>/",
        views.password_reset_link,
        name="password_reset_link",
    ),
    path("password/reset/<str:uid>/", views.password_reset_set, name="password_reset_set"),
]
