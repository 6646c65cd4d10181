from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Sports catalog"

    def ready(self) -> None:
        # Imported once the models are loaded, as Django's app loading requires.
        from apps.catalog import replication  # noqa: F401  (registers the shard handlers)
        from apps.catalog.pages import CatalogPages
        from apps.realtime.pages import pages_register

        pages_register(CatalogPages())  # what the live-odds gateway shows on event pages
