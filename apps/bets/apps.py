from django.apps import AppConfig


class BetsConfig(AppConfig):
    name = "apps.bets"
    label = "bets"
    verbose_name = "Bets"

    def ready(self) -> None:
        from apps.bets.settlement import apply_results
        from apps.catalog.replication import on_results

        on_results(apply_results)
