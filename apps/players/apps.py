from django.apps import AppConfig


class PlayersConfig(AppConfig):
    name = "apps.players"
    verbose_name = "Players"
