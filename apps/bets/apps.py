from django.apps import AppConfig


class BetsConfig(AppConfig):
    name = "apps.bets"
    label = "bets"
    verbose_name = "Bets"

    def ready(self) -> None:
        # Imported once the app registry is ready (they import models): bets settle from the
        # results the catalog's replication records on each shard.
        from apps.bets.settlement import results_settle
        from apps.catalog.replication import on_results

        on_results(results_settle)
        from apps.bets import risk_groups  # noqa: F401  (registers its event handler)
