from django.apps import AppConfig


class BetsConfig(AppConfig):
    name = "apps.bets"
    label = "bets"
    verbose_name = "Bets"

    def ready(self) -> None:
        # Imported once the app registry is ready (they import models): bets settle from the
        # results the catalog's replication records on each shard.
        from apps.bets.settlement import results_settle
        from apps.bets.wallet_words import register
        from apps.catalog.replication import on_results

        on_results(results_settle)
        from apps.bets import risk_groups  # noqa: F401  (registers its event handler)

        register()  # the wallet names the sportsbook's postings and counts its open stakes
