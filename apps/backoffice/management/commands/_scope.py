"""The ``--platform`` / ``--brand SLUG`` choice of the staff commands: which schema's staff."""

from django.core.management.base import CommandError

from apps.brands.models import Brand


def add_scope_arguments(parser) -> None:
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--platform", action="store_true")
    scope.add_argument("--brand", help="brand slug")


def scope_schema(opts: dict) -> tuple[str, str]:
    """(schema, description) of the staff the options name."""
    if opts["platform"]:
        return "public", "the platform"
    brand = Brand.objects.filter(slug=opts["brand"]).exclude(schema_name="public").first()
    if brand is None:
        raise CommandError(f"unknown brand {opts['brand']!r}")
    return brand.schema_name, f"brand {brand.slug}"
