"""Secure defaults: settings imported the way a served process imports them (a fresh process,
outside the test suite), with the environment an operator might give it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from apps.players.models import DirectoryEntry
from betting.stack.services import ROOT

STRONG_SECRET = "x7Qm2-vL9pR4tZ8wK1nB6cF3hJ5dS0gY-aE"

SHOW = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "SECURE_PROXY_SSL_HEADER": getattr(s, "SECURE_PROXY_SSL_HEADER", None),
    "PASSWORD_HASHERS": s.PASSWORD_HASHERS,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
}))
"""


def _served_env(**changes: str | None) -> dict[str, str]:
    """This run's service URLs, as a served process outside the test suite would have them."""
    env = {**os.environ, "SECRET_KEY": STRONG_SECRET, "ALLOWED_HOSTS": "alpha.example.com"}
    for name in ("PYTEST_VERSION", "INSECURE_FAST_PASSWORD_HASHING", "DEBUG", "SECURE_COOKIES"):
        env.pop(name, None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _settings(env: dict[str, str], argv: list[str] | None = None):
    command = argv or ["-c", SHOW]
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _loaded(env: dict[str, str]) -> dict:
    result = _settings(env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def _refused(env: dict[str, str], argv: list[str] | None = None) -> str:
    result = _settings(env, argv)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_cookies_are_secure_unless_debug():
    served = _loaded(_served_env())
    assert served["SESSION_COOKIE_SECURE"] is True
    assert served["CSRF_COOKIE_SECURE"] is True
    debug = _loaded(_served_env(DEBUG="1", ALLOWED_HOSTS=None, SECRET_KEY=None))
    assert debug["SESSION_COOKIE_SECURE"] is False
    assert debug["CSRF_COOKIE_SECURE"] is False


@pytest.mark.parametrize("hosts", ["*", "alpha.example.com,*", None])
def test_allowed_hosts_must_name_the_hosts_when_serving(hosts):
    assert "ALLOWED_HOSTS" in _refused(_served_env(ALLOWED_HOSTS=hosts))


def test_the_fast_password_hasher_is_refused_outside_the_test_suite():
    message = _refused(_served_env(INSECURE_FAST_PASSWORD_HASHING="1"))
    assert "INSECURE_FAST_PASSWORD_HASHING" in message


@pytest.mark.parametrize(
    "secret",
    [None, "REPLACE_ME", "build-only-not-a-secret", "development-only-not-secret", "short"],
)
def test_a_missing_or_placeholder_secret_key_is_refused(secret):
    assert "SECRET_KEY" in _refused(_served_env(SECRET_KEY=secret))


def test_the_build_switch_serves_only_collectstatic():
    env = _served_env(BETTING_BUILD="1", SECRET_KEY=None, ALLOWED_HOSTS=None)
    assert "BETTING_BUILD" in _refused(env, ["manage.py", "check"])
    assert "BETTING_BUILD" in _refused(env)
    built = _settings(env, ["manage.py", "collectstatic", "--noinput", "--dry-run", "-v0"])
    assert built.returncode == 0, built.stderr[-2000:]


def _configmap() -> dict[str, str]:
    """The data of the Kubernetes ConfigMap every role reads (a flat `key: "value"` map)."""
    data: dict[str, str] = {}
    lines = (Path(ROOT) / "docker" / "k8s" / "configmap.yaml").read_text().splitlines()
    inside = False
    for line in lines:
        if line.startswith("data:"):
            inside = True
        elif inside and line.startswith("  ") and not line.lstrip().startswith("#"):
            key, _, value = line.strip().partition(":")
            data[key] = value.strip().strip('"')
    return data


def test_the_kubernetes_config_trusts_the_tls_proxy_and_loads_as_served():
    served = _loaded(_served_env(**_configmap()))
    assert served["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert served["SESSION_COOKIE_SECURE"] is True
    assert "*" not in served["ALLOWED_HOSTS"]


def _register_through_the_proxy(username: str):
    browser = Client(
        HTTP_HOST="alpha.localhost",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_ORIGIN="https://alpha.localhost",
        enforce_csrf_checks=True,
    )
    browser.get("/account/register/")
    form = {
        "username": username,
        "email": f"{username}@example.com",
        "password": "a long enough passphrase",
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
    }
    return browser.post("/account/register/", form)


def test_a_browser_post_through_the_tls_proxy_passes_csrf(alpha):
    """Behind the ingress the browser sends Origin https://…, the proxy X-Forwarded-Proto; with
    the manifests' settings the origin check sees a secure request and accepts the form."""
    header = _loaded(_served_env(**_configmap()))["SECURE_PROXY_SSL_HEADER"]
    with override_settings(SECURE_PROXY_SSL_HEADER=tuple(header) if header else None):
        response = _register_through_the_proxy("proxied")
    assert response.status_code == 302, response.content.decode()[:300]
    assert DirectoryEntry.objects.filter(login_name="proxied").exists()


def test_without_trusting_the_proxy_the_same_post_fails_csrf_and_writes_nothing(alpha):
    with override_settings(SECURE_PROXY_SSL_HEADER=None):
        response = _register_through_the_proxy("refused")
    assert response.status_code == 403
    assert not DirectoryEntry.objects.filter(login_name="refused").exists()
