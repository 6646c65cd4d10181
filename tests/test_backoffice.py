"""The backoffices: a brand's staff see only their brand; platform staff see every brand."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from apps.players.models import DirectoryEntry
from tests.test_players import register_on_site, site

STAFF_PASSWORD = "staff passphrase 123"


def totp_code(schema, username, *, step_offset=0):
    """The current code of the staff member's TOTP device (as their authenticator app shows it),
    or of the one ``step_offset`` steps of 30 s away."""
    with schema_context(schema):
        device = TOTPDevice.objects.get(user__username=username)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += step_offset * device.step
    return totp.token()


def enrol_totp(schema, username):
    """A confirmed TOTP device for the staff member (create_staff enrols one the same way)."""
    with schema_context(schema):
        user = User.objects.get(username=username)
        TOTPDevice.objects.get_or_create(user=user, defaults={"name": "test", "confirmed": True})


def staff_login(client, schema, username, *, password=STAFF_PASSWORD, next_url="/admin/"):
    """Sign in to the backoffice with the password and a fresh TOTP code; the response."""
    enrol_totp(schema, username)
    with schema_context(schema):
        TOTPDevice.objects.filter(user__username=username).update(last_t=-1)  # a code per login
    return client.post(
        f"/admin/login/?next={next_url}",
        {"username": username, "password": password, "otp_token": totp_code(schema, username)},
    )


def staff_client(host, schema):
    with schema_context(schema):
        User.objects.create_superuser("boss", "boss@example.com", STAFF_PASSWORD)
    client = Client(HTTP_HOST=host)
    response = staff_login(client, schema, "boss")
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def players(alpha, beta):
    for brand, names in ((alpha, ["ann", "abe"]), (beta, ["bob", "bea", "bud"])):
        for name in names:
            assert register_on_site(site(brand), name).status_code == 302
    return {e.login_name: e for e in DirectoryEntry.objects.all()}


def test_brand_admin_lists_only_its_own_players(players, alpha, beta):
    client = staff_client("alpha.localhost", alpha.schema_name)
    page = client.get("/admin/players/directoryentry/").content.decode()
    for name in ("ann", "abe"):
        assert f">{name}<" in page
    for name in ("bob", "bea", "bud"):
        assert f">{name}<" not in page
    own = players["ann"]
    assert client.get(f"/admin/players/directoryentry/{own.pk}/change/").status_code == 200
    foreign = players["bob"]
    response = client.get(f"/admin/players/directoryentry/{foreign.pk}/change/")
    assert response.status_code == 302  # the admin redirects away from objects it cannot find
    assert "bob" not in client.get(response["Location"]).content.decode()


def test_brand_staff_cannot_log_in_to_another_brand(players, alpha):
    staff_client("alpha.localhost", alpha.schema_name)
    other = Client(HTTP_HOST="beta.localhost")
    response = other.post("/admin/login/", {"username": "boss", "password": STAFF_PASSWORD})
    assert response.status_code == 200  # the login form again, with an error
    assert other.get("/admin/").status_code == 302


def test_platform_admin_sees_every_brand_and_the_player_counts(players, alpha, beta):
    from apps.backoffice.models import BrandStats

    BrandStats.objects.create(brand_id=alpha.id, player_count=2)
    BrandStats.objects.create(brand_id=beta.id, player_count=3)
    client = staff_client("localhost", "public")
    page = client.get("/admin/players/directoryentry/").content.decode()
    for name in ("ann", "abe", "bob", "bea", "bud"):
        assert f">{name}<" in page
    brands = client.get("/admin/brands/brand/").content.decode()
    assert "Alpha Bets" in brands and "Beta Bets" in brands
    assert '<td class="field-players">2</td>' in brands
    assert '<td class="field-players">3</td>' in brands


def test_the_directory_change_page_shows_the_account_from_its_shard(players, alpha):
    client = staff_client("alpha.localhost", alpha.schema_name)
    page = client.get(f"/admin/players/directoryentry/{players['ann'].pk}/change/").content.decode()
    assert "ann@example.com" in page
