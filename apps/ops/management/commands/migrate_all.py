"""manage.py migrate_all: the global database (public schema and every brand schema) and every
shard database, each with only the tables whose home it is.

With ``DATABASE_OWNER_URL`` set it connects as the owner, and then grants the application's role
(``DATABASE_URL``'s user) the rows of every table, again each time (idempotent)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from apps.brands.services import platform_ensure
from apps.ops.databases import databases_create_missing
from shards import map as shard_map
from shards.database_roles import database_roles_grant, owner_connections


class Command(BaseCommand):
    help = "Migrate the global database (all schemas) and every shard database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--create-databases",
            action="store_true",
            help="create missing databases first (development and tests)",
        )

    def handle(self, *args, **opts):
        app_role = connections["default"].settings_dict["USER"]
        with owner_connections() as separate_owner:
            self._migrate(opts)
            if separate_owner:
                granted = database_roles_grant(app_role=app_role)
                self.stdout.write(f"granted {app_role} rows on {len(granted)} databases")

    def _migrate(self, opts):
        verbosity = opts["verbosity"]
        if opts["create_databases"]:
            for name in databases_create_missing():
                self.stdout.write(f"created database {name}")
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        platform_ensure()
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        for alias in shard_map.aliases():
            call_command(DjangoMigrate(), database=alias, interactive=False, verbosity=verbosity)
        self.stdout.write(f"migrated global (all schemas) and {len(shard_map.aliases())} shards")
