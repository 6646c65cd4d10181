from django.apps import AppConfig


class PlayersConfig(AppConfig):
    name = "apps.players"
    verbose_name = "Players"

    def ready(self) -> None:
        from apps.brands.models import currency_in_use_checks
        from apps.players.models import DirectoryEntry

        def has_players(brand_id: int) -> bool:
            return DirectoryEntry.objects.filter(brand_id=brand_id).exists()

        currency_in_use_checks.append(has_players)
