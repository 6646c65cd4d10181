from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Sports catalog"

    def ready(self) -> None:
        from apps.catalog import replication  # noqa: F401  (registers the shard handlers)
