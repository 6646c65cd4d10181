"""manage.py staff_totp_enrol: a new TOTP device for an existing staff member (a new phone, a
lost one with --replace); prints the otpauth:// URI once, for their authenticator app."""

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.backoffice.management.commands._scope import add_scope_arguments, scope_schema
from apps.backoffice.management.commands.create_staff import write_otpauth
from apps.backoffice.staff.services import DeviceExists, staff_totp_enrol


class Command(BaseCommand):
    help = "Enrol a TOTP device for a staff member of the platform (--platform) or a brand."

    def add_arguments(self, parser):
        add_scope_arguments(parser)
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--replace", action="store_true", help="remove the staff member's current devices"
        )
        parser.add_argument("--otpauth-file", help="write the otpauth:// URI here (mode 0600)")

    def handle(self, *args, **opts):
        schema, where = scope_schema(opts)
        with schema_context(schema):
            user = User.objects.filter(username=opts["username"], is_staff=True).first()
            if user is None:
                raise CommandError(f"no staff member {opts['username']!r} for {where}")
            try:
                device = staff_totp_enrol(user=user, replace=opts["replace"])
            except DeviceExists as exc:
                raise CommandError(f"{exc} (use --replace to replace it)") from None
        self.stdout.write(f"enrolled a TOTP device for {opts['username']} of {where}")
        write_otpauth(self, device.config_url, opts["otpauth_file"])
