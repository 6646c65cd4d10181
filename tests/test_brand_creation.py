"""Creating a brand from the platform's backoffice: a form, a task on the global queue running
the same service as ``create_brand``, a page following its steps, failures shown, a run again
redoing only what is missing, the first staff member's TOTP URI shown once."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from apps.backoffice import brand_creation
from apps.backoffice.models import BrandCreation
from apps.backoffice.roles import BRAND_ADMIN
from apps.brands.models import Brand, Domain
from betting.stack import roles
from tests import processes
from tests.staff_roles_helpers import role_client
from tests.test_backoffice import staff_client

FORM = {
    "slug": "gamma",
    "name": "Gamma Bets",
    "domain": "gamma.localhost",
    "currency": "SEK",
    "staff_username": "greta",
    "staff_email": "greta@example.com",
    "staff_password": "gamma staff passphrase",
}


@pytest.fixture
def queued(monkeypatch):
    """The runs the requests queued, to run here (the real worker's test runs them there)."""
    runs: list[int] = []
    monkeypatch.setattr(
        brand_creation, "brand_creation_queue", lambda *, creation: runs.append(creation.pk)
    )
    return runs


def _page(client, creation):
    return client.get(f"/admin/brands/brand/creation/{creation.pk}/").content.decode()


def _signs_in(creation_domain: str, schema: str, username: str, password: str, uri: str) -> bool:
    secret = re.search(r"secret=([A-Z2-7]+)", uri)[1]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    with schema_context(schema):
        TOTPDevice.objects.filter(user__username=username).update(last_t=-1)
    client = Client(HTTP_HOST=creation_domain)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "otp_token": TOTP(key).token()},
    )
    return response.status_code == 302 and client.get("/admin/").status_code == 200


def test_a_platform_admin_creates_a_brand_and_follows_its_steps(clean, queued):
    admin = staff_client("localhost", "public")
    assert admin.get("/admin/brands/brand/add/").status_code == 200
    response = admin.post("/admin/brands/brand/add/", FORM)
    assert response.status_code == 302
    creation = BrandCreation.objects.get()
    assert response["Location"] == f"/admin/brands/brand/creation/{creation.pk}/"
    assert creation.status == "queued" and queued == [creation.pk]
    assert FORM["staff_password"] not in creation.staff_password  # only its hash
    assert not Brand.objects.filter(slug="gamma").exists()
    page = _page(admin, creation)
    assert 'data-status="queued"' in page and 'data-step="schema" data-state="waiting"' in page
    steps: list[str] = []
    original = brand_creation.cache.set
    brand_creation.cache.set = lambda key, value, *a: (
        steps.append(value),
        original(key, value, *a),
    )
    try:
        brand_creation.brand_creation_run(creation_id=creation.pk)
    finally:
        brand_creation.cache.set = original
    assert steps == ["schema", "migrations", "domain", "staff"]
    creation.refresh_from_db()
    assert creation.status == "done"
    brand = Brand.objects.get(slug="gamma")
    assert (brand.name, brand.currency, creation.brand_id) == ("Gamma Bets", "SEK", brand.pk)
    assert list(Domain.objects.filter(tenant=brand).values_list("domain", flat=True)) == [
        "gamma.localhost"
    ]
    status = admin.get(f"/admin/brands/brand/creation/{creation.pk}/status/").json()
    assert status["status"] == "done" and {s["state"] for s in status["steps"]} == {"done"}
    page = _page(admin, creation)
    uri = re.search(r"<code>(otpauth://[^<]+)</code>", page)[1].replace("&amp;", "&")
    assert "otpauth://totp/" in uri
    assert "otpauth://" not in _page(admin, creation)  # shown once
    creation.refresh_from_db()
    assert creation.otpauth == "" and creation.otpauth_shown
    with schema_context(brand.schema_name):
        greta = User.objects.get(username="greta")
        assert greta.is_staff and not greta.is_superuser
        assert [g.name for g in greta.groups.all()] == [BRAND_ADMIN]
    assert _signs_in("gamma.localhost", brand.schema_name, "greta", FORM["staff_password"], uri)


def test_running_it_again_redoes_nothing_done(clean, queued):
    admin = staff_client("localhost", "public")
    admin.post("/admin/brands/brand/add/", FORM)
    creation = BrandCreation.objects.get()
    brand_creation.brand_creation_run(creation_id=creation.pk)
    _page(admin, creation)  # the URI shown
    with schema_context("brand_gamma"):
        device = TOTPDevice.objects.get(user__username="greta")
    BrandCreation.objects.filter(pk=creation.pk).update(status="running")  # as if redelivered
    brand_creation.brand_creation_run(creation_id=creation.pk)
    creation.refresh_from_db()
    assert creation.status == "done" and creation.otpauth == ""
    assert Brand.objects.filter(slug="gamma").count() == 1
    with schema_context("brand_gamma"):
        assert User.objects.filter(username="greta").count() == 1
        assert TOTPDevice.objects.get(user__username="greta").pk == device.pk  # kept


def test_a_failed_run_is_shown_and_runs_again_once_its_cause_is_gone(clean, queued, beta):
    admin = staff_client("localhost", "public")
    admin.post("/admin/brands/brand/add/", FORM)
    creation = BrandCreation.objects.get()
    taken = Domain.objects.create(domain="gamma.localhost", tenant_id=beta.id, is_primary=False)
    brand_creation.brand_creation_run(creation_id=creation.pk)
    creation.refresh_from_db()
    assert (creation.status, creation.error_code) == ("failed", "duplicate_domain")
    assert not Brand.objects.filter(slug="gamma").exists()  # nothing half-made
    page = _page(admin, creation)
    assert 'data-code="duplicate_domain"' in page and 'id="creation-retry"' in page
    status = admin.get(f"/admin/brands/brand/creation/{creation.pk}/status/").json()
    assert status["error"]["code"] == "duplicate_domain"
    assert status["steps"][0]["state"] == "failed"
    taken.delete()
    response = admin.post(f"/admin/brands/brand/creation/{creation.pk}/")
    assert response.status_code == 302 and queued == [creation.pk, creation.pk]
    brand_creation.brand_creation_run(creation_id=creation.pk)
    creation.refresh_from_db()
    assert creation.status == "done" and Brand.objects.filter(slug="gamma").exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("slug", "Gamma!", "invalid_slug"),
        ("currency", "XYZ", "unknown_currency"),
        ("domain", "alpha.localhost", "duplicate_domain"),
        ("staff_password", "short", "min_length"),
        ("slug", "alpha", "duplicate_slug"),
    ],
)
def test_a_bad_request_is_refused_and_nothing_is_queued(clean, queued, field, value, code):
    admin = staff_client("localhost", "public")
    response = admin.post("/admin/brands/brand/add/", {**FORM, field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error"' in page
    if code == "duplicate_slug":
        assert 'data-code="duplicate_slug"' in page
    else:
        assert response.context_data["form"].errors.as_data()[field][0].code == code
    assert not BrandCreation.objects.exists() and queued == []


def test_only_the_platforms_admins_may_create_brands(clean, queued, alpha):
    trader = role_client("localhost", "public", "brand trader")
    assert trader.get("/admin/brands/brand/add/").status_code == 403
    assert trader.post("/admin/brands/brand/add/", FORM).status_code == 403
    brand_staff = staff_client("alpha.localhost", alpha.schema_name)  # a brand's superuser
    assert brand_staff.get("/admin/brands/brand/add/").status_code == 404
    assert brand_staff.post("/admin/brands/brand/add/", FORM).status_code == 404
    anonymous = Client(HTTP_HOST="localhost")
    response = anonymous.post("/admin/brands/brand/add/", FORM)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not BrandCreation.objects.exists() and queued == []
    admin = role_client("localhost", "public", "platform admin")
    assert admin.post("/admin/brands/brand/add/", FORM).status_code == 302
    creation = BrandCreation.objects.get()
    assert trader.get(f"/admin/brands/brand/creation/{creation.pk}/").status_code == 403
    assert trader.get(f"/admin/brands/brand/creation/{creation.pk}/status/").status_code == 403


def test_a_real_global_worker_creates_the_brand(clean):
    admin = staff_client("localhost", "public")
    with processes.running(roles.global_worker(), ready=processes.WORKER_READY) as worker:
        assert admin.post("/admin/brands/brand/add/", FORM).status_code == 302
        creation = BrandCreation.objects.get()
        processes.wait_until(
            lambda: BrandCreation.objects.get(pk=creation.pk).status in ("done", "failed"),
            timeout=120,
            interval=0.5,
            message=f"the brand's creation ended:\n{worker.output()[-3000:]}",
        )
    creation.refresh_from_db()
    assert creation.status == "done", creation.error
    assert "otpauth://totp/" in _page(admin, creation)
    with schema_context(Brand.objects.get(slug="gamma").schema_name):
        assert User.objects.filter(username="greta", groups__name=BRAND_ADMIN).exists()
