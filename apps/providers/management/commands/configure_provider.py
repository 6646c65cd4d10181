"""manage.py configure_provider <name>: create or update a provider (idempotent)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.providers.services import SETTINGS, ProviderError, provider_configure


class Command(BaseCommand):
    help = "Create or update a content provider in the provider manager."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kind", default="uof", help="uof or video")
        parser.add_argument("--exchange", help="the feed's topic exchange (UOF: unifiedfeed)")
        parser.add_argument(
            "--binding",
            action="append",
            dest="bindings",
            help="a routing-key pattern to bind (repeat; default: all)",
        )
        parser.add_argument("--api-url", help="the provider's API base URL")
        parser.add_argument("--token-env", help="environment variable holding the API token")
        parser.add_argument("--broker-url-env", help="environment variable with the feed's URL")
        parser.add_argument("--node-id")
        parser.add_argument(
            "--sport",
            action="append",
            dest="enabled_sports",
            help="a sport URN to take (repeat; default: all)",
        )
        parser.add_argument(
            "--producer",
            action="append",
            type=int,
            dest="producers",
            help="a UOF producer id (repeat)",
        )
        parser.add_argument("--disable", action="store_true")

    def handle(self, *args, **opts):
        # Every setting the command has an option for; "content" and "enabled" are set apart.
        settings = {
            key: opts[key]
            for key in SETTINGS
            if key not in ("content", "enabled") and opts.get(key) is not None
        }
        if opts["disable"]:
            settings["enabled"] = False
        try:
            provider = provider_configure(
                name=opts["name"], kind=opts["kind"], producers=opts["producers"] or [], **settings
            )
        except ProviderError as exc:
            raise CommandError(f"{exc.code}: {exc}") from None
        except ValidationError as exc:
            raise CommandError(f"invalid: {exc.message_dict}") from None
        self.stdout.write(f"provider {provider.name} ({provider.kind}) configured")
