"""manage.py create_staff: a backoffice staff member for the platform or for one brand: with
``--role`` a member of that role's group (``apps/backoffice/roles.py``), without it a superuser.

Platform staff live in the public schema and see every brand; a brand's staff live in the
brand's schema and can log in only on that brand's domains. Every staff member signs in with a
TOTP code as well: the command enrols their device and prints its otpauth:// URI once (or writes
it to ``--otpauth-file``), to be added to an authenticator app.
"""

import os
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.backoffice.management.commands._scope import add_scope_arguments, scope_schema
from apps.backoffice.roles import ROLES, role_group
from apps.backoffice.staff.services import staff_totp_enrol


class Command(BaseCommand):
    help = "Create a backoffice staff member for the platform (--platform) or a brand (--brand)."

    def add_arguments(self, parser):
        add_scope_arguments(parser)
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env", required=True, help="environment variable holding the password"
        )
        parser.add_argument("--if-missing", action="store_true")
        parser.add_argument(
            "--role",
            choices=list(ROLES),
            help="the staff member's role (without it: a superuser, who may do everything)",
        )
        parser.add_argument(
            "--otpauth-file", help="write the TOTP device's otpauth:// URI here (mode 0600)"
        )

    def handle(self, *args, **opts):
        password = os.environ.get(opts["password_env"], "")
        if len(password) < 12:
            raise CommandError(f"{opts['password_env']} must hold a password of 12+ characters")
        schema, where = scope_schema(opts)
        with schema_context(schema):
            if User.objects.filter(username=opts["username"]).exists():
                if opts["if_missing"]:
                    return
                raise CommandError(f"{opts['username']} already exists for {where}")
            if opts["role"]:
                try:
                    group = role_group(opts["role"])
                except KeyError:
                    raise CommandError(f"{where} has no role {opts['role']!r}") from None
                user = User.objects.create_user(
                    opts["username"], opts["email"], password, is_staff=True
                )
                user.groups.add(group)
            else:
                user = User.objects.create_superuser(opts["username"], opts["email"], password)
            device = staff_totp_enrol(user=user)
        role = f" ({opts['role']})" if opts["role"] else ""
        self.stdout.write(f"created staff user {opts['username']}{role} for {where}")
        write_otpauth(self, device.config_url, opts["otpauth_file"])


def write_otpauth(command: BaseCommand, uri: str, path: str | None) -> None:
    if path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(mode=0o600)
        target.write_text(uri + "\n")
        command.stdout.write(f"TOTP enrolment URI written to {target}")
    else:
        command.stdout.write(f"add this to the staff member's authenticator app: {uri}")
