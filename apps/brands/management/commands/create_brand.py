"""manage.py create_brand: create a brand with its schema and domains, as the tables' owner
(``DATABASE_OWNER_URL``, when set): the brand's schema and tables are the owner's, and the
application's role reads and writes their rows through the owner's default privileges."""

import os

from django.core.management.base import BaseCommand, CommandError

from apps.brands.models import Brand
from apps.brands.services import BrandError, brand_create
from shards.database_roles import owner_connections


class Command(BaseCommand):
    help = "Create a brand (its own schema) reachable at one or more domains."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="short identifier, e.g. demo")
        parser.add_argument("--name", required=True, help="display name")
        parser.add_argument(
            "--domain", required=True, action="append", help="host name (repeat for more)"
        )
        parser.add_argument("--currency", required=True, help="ISO 4217 code, e.g. EUR")
        parser.add_argument("--mode", default=Brand.Mode.B2C, choices=Brand.Mode.values)
        parser.add_argument(
            "--wallet-url", default="", help="the operator's wallet API (external wallet mode)"
        )
        parser.add_argument(
            "--wallet-secret-env",
            default="",
            help="environment variable holding the operator wallet's shared secret",
        )
        parser.add_argument(
            "--wallet-key-id",
            default="1",
            help="the id the operator knows the wallet secret by (change it at each rotation)",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="succeed without changes when a brand with this slug already exists",
        )

    def handle(self, *args, **opts):
        if opts["if_missing"] and Brand.objects.filter(slug=opts["slug"]).exists():
            self.stdout.write(f"brand {opts['slug']} already exists")
            return
        secret = os.environ.get(opts["wallet_secret_env"], "") if opts["wallet_secret_env"] else ""
        try:
            with owner_connections():
                brand = brand_create(
                    slug=opts["slug"],
                    name=opts["name"],
                    domains=opts["domain"],
                    currency=opts["currency"],
                    mode=opts["mode"],
                    wallet_url=opts["wallet_url"],
                    wallet_secret=secret,
                    wallet_key_id=opts["wallet_key_id"],
                )
        except BrandError as exc:
            raise CommandError(f"{exc.code}: {exc}") from exc
        hosts = ", ".join(brand.domains.values_list("domain", flat=True))
        self.stdout.write(f"created brand {brand.slug} (schema {brand.schema_name}) at {hosts}")
