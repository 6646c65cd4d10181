from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "apps.backoffice"
    verbose_name = "Backoffice"

    def ready(self) -> None:
        from apps.backoffice import consumers  # noqa: F401  (registers the event handlers)
