"""manage.py create_staff: a backoffice superuser for the platform or for one brand.

Platform staff live in the public schema and see every brand; a brand's staff live in the
brand's schema and can log in only on that brand's domains.
"""

import os

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.brands.models import Brand


class Command(BaseCommand):
    help = "Create a backoffice superuser for the platform (--platform) or a brand (--brand)."

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--platform", action="store_true")
        scope.add_argument("--brand", help="brand slug")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env", required=True, help="environment variable holding the password"
        )
        parser.add_argument("--if-missing", action="store_true")

    def handle(self, *args, **opts):
        password = os.environ.get(opts["password_env"], "")
        if len(password) < 12:
            raise CommandError(f"{opts['password_env']} must hold a password of 12+ characters")
        if opts["platform"]:
            schema, where = "public", "the platform"
        else:
            brand = Brand.objects.filter(slug=opts["brand"]).exclude(schema_name="public").first()
            if brand is None:
                raise CommandError(f"unknown brand {opts['brand']!r}")
            schema, where = brand.schema_name, f"brand {brand.slug}"
        with schema_context(schema):
            if User.objects.filter(username=opts["username"]).exists():
                if opts["if_missing"]:
                    return
                raise CommandError(f"{opts['username']} already exists for {where}")
            User.objects.create_superuser(opts["username"], opts["email"], password)
        self.stdout.write(f"created staff user {opts['username']} for {where}")
