"""Staff sign-in to the backoffices: a TOTP code on top of the password, a lock-out after
repeated failures (recorded in the site's own schema), the admin only on its named hosts; and a
brand's currency fixed once it has players."""

import time

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from apps.brands.models import Brand, Domain
from apps.brands.selectors import forget_hosts
from apps.brands.services import brand_create
from tests.test_backoffice import (
    STAFF_PASSWORD,
    enrol_totp,
    staff_client,
    staff_login,
    totp_code,
)
from tests.test_players import register_on_site, site


def superuser(schema, username="boss"):
    with schema_context(schema):
        return User.objects.create_superuser(username, f"{username}@example.com", STAFF_PASSWORD)


def login(client, username, password=STAFF_PASSWORD, **extra):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password, **extra}
    )


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_staff_sign_in_needs_a_code_from_their_device(alpha):
    superuser(alpha.schema_name)
    client = Client(HTTP_HOST="alpha.localhost")
    # The password alone is not enough, with no device or with one.
    assert login(client, "boss").status_code == 200
    assert not signed_in(client)
    enrol_totp(alpha.schema_name, "boss")
    page = login(client, "boss")
    assert page.status_code == 200 and "Please enter your OTP token" in page.content.decode()
    assert not signed_in(client)
    # A code that is not the device's current one (a step well away) is refused.
    stale = totp_code(alpha.schema_name, "boss", step_offset=-10)
    assert login(client, "boss", otp_token=stale).status_code == 200
    assert not signed_in(client)
    # After a wrong code the device waits (1 s, doubling with each failure) before the next.
    throttled = login(client, "boss", otp_token=totp_code(alpha.schema_name, "boss"))
    assert "temporarily disabled" in throttled.content.decode()
    assert not signed_in(client)
    time.sleep(2.1)
    # Password and code: in.
    response = login(client, "boss", otp_token=totp_code(alpha.schema_name, "boss"))
    assert response.status_code == 302
    assert signed_in(client)
    # The same code does not sign anyone in a second time (a code seen over a shoulder).
    again = Client(HTTP_HOST="alpha.localhost")
    assert login(again, "boss", otp_token=totp_code(alpha.schema_name, "boss")).status_code == 200
    assert not signed_in(again)


def test_a_session_signed_in_without_a_device_is_not_let_in(alpha):
    user = superuser(alpha.schema_name)
    client = Client(HTTP_HOST="alpha.localhost")
    with schema_context(alpha.schema_name):
        client.force_login(user)  # a password-only session (as the sign-in was before)
    response = client.get("/admin/players/directoryentry/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_create_staff_enrols_a_device_and_prints_its_uri_once(alpha, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("NEW_STAFF_PASSWORD", STAFF_PASSWORD)
    target = tmp_path / "otpauth"
    call_command(
        "create_staff",
        "--brand",
        "alpha",
        "--username",
        "ops",
        "--password-env",
        "NEW_STAFF_PASSWORD",
        "--otpauth-file",
        str(target),
    )
    with schema_context(alpha.schema_name):
        (device,) = TOTPDevice.objects.select_related("user").filter(user__username="ops")
        assert device.confirmed
    uri = target.read_text().strip()
    assert uri == device.config_url and uri.startswith("otpauth://totp/")
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert device.key not in capsys.readouterr().out
    client = Client(HTTP_HOST="alpha.localhost")
    assert staff_login(client, alpha.schema_name, "ops").status_code == 302
    # A new device replaces the old one only when asked to.
    with pytest.raises(CommandError, match="--replace"):
        call_command("staff_totp_enrol", "--brand", "alpha", "--username", "ops")
    call_command("staff_totp_enrol", "--brand", "alpha", "--username", "ops", "--replace")
    with schema_context(alpha.schema_name):
        (replaced,) = TOTPDevice.objects.select_related("user").filter(user__username="ops")
    assert replaced.key != device.key
    assert replaced.config_url in capsys.readouterr().out
    with pytest.raises(CommandError, match="no staff member"):
        call_command("staff_totp_enrol", "--platform", "--username", "ops")


def test_repeated_failures_lock_the_name_out_from_that_address_and_are_recorded(alpha):
    superuser(alpha.schema_name)
    superuser("public")  # the platform's own "boss": another person, other records
    enrol_totp(alpha.schema_name, "boss")
    attacker = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="203.0.113.7")
    for n in range(4):
        assert login(attacker, "boss", password=f"guess {n}").status_code == 200
    # A right password with a wrong code is a failure too: the fifth, and the lock-out.
    wrong = totp_code(alpha.schema_name, "boss", step_offset=-10)
    assert login(attacker, "boss", otp_token=wrong).status_code == 429
    # Now even the right password and code are refused from that address.
    locked = login(attacker, "boss", otp_token=totp_code(alpha.schema_name, "boss"))
    assert locked.status_code == 429
    assert not signed_in(attacker)
    with schema_context(alpha.schema_name):
        flags = list(
            AccessFailureLog.objects.filter(username="boss")
            .order_by("attempt_time")
            .values_list("locked_out", flat=True)
        )
        # Four failures, the fifth that locked the pair out, the attempt refused while locked.
        assert flags == [False, False, False, False, True, True]
        assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
        (attempt,) = AccessAttempt.objects.all()
        assert (attempt.username, attempt.failures_since_start) == ("boss", 6)
    with schema_context("public"):
        assert not AccessFailureLog.objects.exists() and not AccessAttempt.objects.exists()
    # The staff member, from their own address, still signs in (once the device's wait after
    # the wrong code is over) and sees the failures.
    time.sleep(2.1)
    own = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="198.51.100.2")
    assert staff_login(own, alpha.schema_name, "boss").status_code == 302
    page = own.get("/admin/axes/accessfailurelog/").content.decode()
    assert page.count("203.0.113.7") >= 5
    # The platform's "boss" is not locked out by the brand's.
    platform = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.7")
    assert staff_login(platform, "public", "boss").status_code == 302


@pytest.fixture
def admin_hosts(alpha):
    """Admin host names for alpha and the platform (domains are kept between tests: removed)."""
    platform = Brand.objects.get(schema_name="public")
    added = [
        Domain.objects.create(
            domain="backoffice.alpha.localhost", tenant_id=alpha.id, is_primary=False
        ),
        Domain.objects.create(domain="backoffice.localhost", tenant=platform, is_primary=False),
    ]
    forget_hosts()
    yield [d.domain for d in added]
    Domain.objects.filter(pk__in=[d.pk for d in added]).delete()
    forget_hosts()


def test_the_backoffice_answers_only_on_the_named_admin_hosts(alpha, admin_hosts):
    superuser(alpha.schema_name)
    superuser("public")
    # Unset: every host of the brand serves its backoffice (development).
    assert Client(HTTP_HOST="alpha.localhost").get("/admin/login/").status_code == 200
    with override_settings(BACKOFFICE_HOSTS=admin_hosts):
        for host in ("alpha.localhost", "localhost"):
            public = Client(HTTP_HOST=host)
            for path in ("/admin/", "/admin/login/", "/admin", "/admin/players/directoryentry/"):
                assert public.get(path).status_code == 404, (host, path)
            assert login(public, "boss").status_code == 404
        # The brand's site itself is still there.
        assert site(alpha).get("/").status_code == 200
        assert register_on_site(site(alpha), "ann").status_code == 302
        # The admin hosts serve the backoffice of the brand they reach, and the platform's.
        for host, schema in zip(admin_hosts, (alpha.schema_name, "public"), strict=True):
            client = Client(HTTP_HOST=host)
            assert client.get("/admin/login/").status_code == 200
            assert staff_login(client, schema, "boss").status_code == 302
            assert signed_in(client)


def test_a_brands_currency_is_fixed_once_it_has_players(alpha):
    gamma = brand_create(
        slug="gamma", name="Gamma Bets", domains=["gamma.localhost"], currency="EUR"
    )
    # No players yet: the currency may still be corrected.
    gamma.currency = "USD"
    gamma.full_clean()
    gamma.save()
    assert register_on_site(site(alpha), "ann").status_code == 302
    brand = Brand.objects.get(pk=alpha.id)
    brand.currency = "USD"
    with pytest.raises(ValidationError) as refused:
        brand.full_clean()
    assert "currency" in refused.value.message_dict
    assert Brand.objects.get(pk=alpha.id).currency == "EUR"
    # In the platform's backoffice the field is shown, not editable, and a forged POST keeps it.
    admin = staff_client("localhost", "public")
    page = admin.get(f"/admin/brands/brand/{alpha.id}/change/").content.decode()
    assert 'name="currency"' not in page and "EUR" in page
    gamma_page = admin.get(f"/admin/brands/brand/{gamma.id}/change/").content.decode()
    assert 'name="currency"' in gamma_page
    form = {
        "name": "Alpha Bets",
        "currency": "USD",
        "mode": "b2c",
        "is_active": "on",
        "wallet_url": "",
        "domains-TOTAL_FORMS": "0",
        "domains-INITIAL_FORMS": "0",
        "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
    }
    admin.post(f"/admin/brands/brand/{alpha.id}/change/", form)
    assert Brand.objects.get(pk=alpha.id).currency == "EUR"


def test_behind_the_proxy_the_lock_out_counts_the_forwarded_client_address(alpha):
    superuser(alpha.schema_name)
    with override_settings(TRUSTED_PROXY_COUNT=1):
        proxy = "10.0.0.5"  # every request reaches web from the ingress
        attacker = Client(
            HTTP_HOST="alpha.localhost", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9"
        )
        for n in range(5):
            login(attacker, "boss", password=f"guess {n}")
        assert staff_login(attacker, alpha.schema_name, "boss").status_code == 429
        own = Client(
            HTTP_HOST="alpha.localhost", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.3"
        )
        assert staff_login(own, alpha.schema_name, "boss").status_code == 302
    with schema_context(alpha.schema_name):
        assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
