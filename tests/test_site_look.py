"""A brand's look: the colour its pages put inside <style> is a strict hex colour, whatever edits
it (the model's validation, the brand admin, the database itself)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django_tenants.utils import schema_context

from apps.site.models import SiteSettings
from tests.test_backoffice import staff_client

HOSTILE = ["red;}</style><script>alert(1)</script>", "#000;}x", "</sty", "red", "#12345g", "#1234"]


@pytest.mark.parametrize("colour", HOSTILE)
def test_full_clean_refuses_a_colour_that_is_not_hex(alpha, colour):
    with schema_context(alpha.schema_name):
        look = SiteSettings(title="Alpha", primary_colour=colour)
        with pytest.raises(ValidationError) as refused:
            look.full_clean()
        assert "primary_colour" in refused.value.message_dict


@pytest.mark.parametrize("colour", ["#0b6e4f", "#ABCDEF", "#fff"])
def test_full_clean_accepts_hex_colours(alpha, colour):
    with schema_context(alpha.schema_name):
        SiteSettings(title="Alpha", primary_colour=colour).full_clean()


def test_the_database_refuses_a_colour_that_skips_validation(alpha):
    with schema_context(alpha.schema_name):
        with pytest.raises(IntegrityError), transaction.atomic():
            SiteSettings.objects.create(title="Alpha", primary_colour="#000;}x")
        assert not SiteSettings.objects.exists()


def test_the_brand_admin_refuses_a_hostile_colour_and_keeps_the_old_one(alpha):
    with schema_context(alpha.schema_name):
        look = SiteSettings.objects.create(title="Alpha", primary_colour="#123456")
    client = staff_client("alpha.localhost", alpha.schema_name)
    hostile = "#000;}x"  # seven characters: within the column's length, outside CSS's value
    response = client.post(
        f"/admin/site/sitesettings/{look.pk}/change/",
        {"title": "Alpha", "tagline": "", "primary_colour": hostile},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "errorlist" in response.content.decode()
    with schema_context(alpha.schema_name):
        assert SiteSettings.objects.get().primary_colour == "#123456"
    page = Client(HTTP_HOST="alpha.localhost").get("/").content.decode()
    assert "--brand: #123456;" in page
    assert hostile not in page


def test_the_migration_resets_a_stored_colour_that_is_not_hex(alpha):
    """A row saved before the constraint existed: the migration puts it back to the default."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("apps.site.migrations.0002_primary_colour_hex")

    class Undo(Exception):
        pass

    with schema_context(alpha.schema_name), pytest.raises(Undo), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE site_sitesettings DROP CONSTRAINT site_settings_primary_colour_hex"
            )
        SiteSettings.objects.create(title="Old", primary_colour="#000;}x")
        SiteSettings.objects.create(title="Fine", primary_colour="#abcdef")
        editor = type("Editor", (), {"connection": connection})
        migration.reset_colours_that_are_not_hex(apps, editor)
        colours = dict(SiteSettings.objects.values_list("title", "primary_colour"))
        assert colours == {"Old": "#0b6e4f", "Fine": "#abcdef"}
        raise Undo
