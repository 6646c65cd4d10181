"""Brands: created by command with clear errors; resolved from the Host header."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from apps.brands.models import Brand, Domain


def create_brand(**options):
    argv = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        else:
            for item in value if isinstance(value, list) else [value]:
                argv += [flag, item]
    call_command("create_brand", *argv)


def _brand_count():
    return Brand.objects.count(), Domain.objects.count()


def test_create_brand_makes_schema_and_domains(clean, capsys):
    create_brand(
        slug="gamma",
        name="Gamma",
        domain=["gamma.localhost", "www.gamma.test"],
        currency="usd",
        mode="b2b",
    )
    brand = Brand.objects.get(slug="gamma")
    assert brand.schema_name == "brand_gamma"
    assert brand.currency == "USD"
    assert brand.mode == "b2b"
    assert schema_exists("brand_gamma")
    assert set(brand.domains.values_list("domain", "is_primary")) == {
        ("gamma.localhost", True),
        ("www.gamma.test", False),
    }
    assert "created brand gamma" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"slug": "Bad Slug"}, "invalid_slug"),
        ({"slug": "x"}, "invalid_slug"),
        ({"name": "  "}, "invalid_name"),
        ({"currency": "XXX"}, "unknown_currency"),
        ({"currency": "eu"}, "unknown_currency"),
        ({"domain": ["not a host"]}, "invalid_domain"),
        ({"domain": ["alpha.localhost"]}, "duplicate_domain"),
        ({"domain": ["localhost"]}, "duplicate_domain"),
        ({"domain": ["d.localhost", "D.localhost"]}, "duplicate_domain"),
        ({"slug": "alpha"}, "duplicate_slug"),
        ({"wallet_url": "http://127.0.0.1:9/", "mode": "b2c"}, "invalid_wallet"),
        ({"wallet_url": "ftp://127.0.0.1/", "mode": "b2b"}, "invalid_wallet"),
        ({"wallet_url": "http://127.0.0.1:9/", "mode": "b2b"}, "invalid_wallet"),  # no secret
    ],
)
def test_create_brand_refuses_bad_input_and_creates_nothing(clean, options, code):
    before = _brand_count()
    args = {"slug": "delta", "name": "Delta", "domain": ["delta.localhost"], "currency": "EUR"}
    args.update(options)
    with pytest.raises(CommandError, match=code):
        create_brand(**args)
    assert _brand_count() == before
    assert not schema_exists("brand_delta")


def test_create_brand_if_missing_is_a_no_op_for_an_existing_slug(clean, capsys):
    before = _brand_count()
    create_brand(
        slug="alpha",
        name="Other",
        domain=["x.localhost"],
        currency="EUR",
        if_missing=True,
    )
    assert _brand_count() == before
    assert "already exists" in capsys.readouterr().out


def test_create_brand_from_the_shell_exits_non_zero_with_one_line(clean):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_brand",
            "--slug",
            "alpha",
            "--name",
            "A",
            "--domain",
            "z.localhost",
            "--currency",
            "EUR",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "duplicate_slug" in result.stderr
    assert "Traceback" not in result.stderr


def test_brand_is_resolved_from_the_host_header(alpha, beta):
    for brand in (alpha, beta):
        response = Client(HTTP_HOST=f"{brand.slug}.localhost").get("/")
        assert response.status_code == 200
        assert response.wsgi_request.tenant.pk == brand.id
        assert f"{brand.slug.capitalize()} Bets" in response.content.decode()


def test_the_platform_domain_serves_the_global_backoffice(clean):
    response = Client(HTTP_HOST="localhost").get("/admin/login/")
    assert response.status_code == 200
    assert "Platform backoffice" in response.content.decode()


@pytest.mark.parametrize("host", ["unknown.localhost", "evil.example.com", "127.0.0.1"])
def test_an_unknown_host_gets_a_404_page_not_a_500(clean, host):
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code == 404
    assert "Site not found" in response.content.decode()
    connection.set_schema_to_public()


def test_ping_answers_for_the_brand_of_the_host(alpha, beta):
    for brand in (alpha, beta):
        response = Client(HTTP_HOST=f"{brand.slug}.localhost").get("/ping")
        assert response.json() == {"brand": brand.slug, "status": "ok"}
