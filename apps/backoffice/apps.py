from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class BackofficeConfig(AppConfig):
    name = "apps.backoffice"
    verbose_name = "Backoffice"

    def ready(self) -> None:
        from apps.backoffice import consumers  # noqa: F401  (registers the event handlers)

        post_migrate.connect(_sync_roles, dispatch_uid="backoffice.sync_roles")


def _sync_roles(sender, using="default", **kwargs) -> None:
    """After a schema's migrate: the roles' permissions, once every app's exist (the signal is
    sent once per app, in order; the last app's is the one to act on)."""
    if using != "default":
        return  # the shards hold no staff
    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender is not last:
        return
    from apps.backoffice.roles import roles_sync

    roles_sync()
