"""manage.py wallet_reconcile --brand <slug>: compare both sides of an external wallet."""

from django.core.management.base import BaseCommand, CommandError

from apps.brands.models import Brand
from apps.wallet.brand_config import operator_wallet
from apps.wallet.operator_protocol import OperatorUnavailable
from apps.wallet.reconcile import reconcile


class Command(BaseCommand):
    help = "Compare the platform's external wallet operations with the operator's records."

    def add_arguments(self, parser):
        parser.add_argument("--brand", required=True, help="brand slug")

    def handle(self, *args, **opts):
        brand = Brand.objects.filter(slug=opts["brand"]).exclude(schema_name="public").first()
        if brand is None:
            raise CommandError(f"unknown brand {opts['brand']!r}")
        if not brand.wallet_url:
            raise CommandError(f"brand {brand.slug} has no external wallet")
        try:
            wallet = operator_wallet(brand.pk)
            report = reconcile(brand_id=brand.pk, url=wallet.url, key=wallet.key)
        except OperatorUnavailable as exc:
            raise CommandError(f"the operator's wallet did not answer: {exc}") from exc
        for line in report.differences:
            self.stdout.write(f"difference: {line}")
        self.stdout.write(
            f"{brand.slug}: {report.compared} transactions compared, "
            f"{len(report.differences)} differences"
        )
        if report.differences:
            raise CommandError(f"{len(report.differences)} differences")
