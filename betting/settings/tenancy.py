"""Brands are django-tenants tenants: one schema per brand, plus the public (global) schema.

An app is listed where its tables live. Shard-only apps are listed with the shared apps so that
Django loads them; the router keeps their tables off the global database.
"""

SHARED_APPS = [
    "django_tenants",
    "apps.brands",
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "apps.backoffice.staff",
    "rest_framework",
    "drf_spectacular",  # the API's OpenAPI schema (/api/schema/)
    "drf_spectacular_sidecar",  # the docs page's scripts, served by the site itself
    "channels",
    "shards",
    "apps.outbox",
    "apps.players",
    "apps.wallet",
    "apps.backoffice",
    "apps.ops",
    "apps.realtime",
    "apps.catalog",
    "apps.providers",
    "apps.bets",
    "simulators",  # the simulated providers' and operator wallet's manage.py commands
]

# Each brand's schema: its own staff accounts (its admin) with their second-factor devices, login
# attempts, roles' limits and pending adjustments, and its site configuration. The public schema
# has the same staff tables for the platform's staff (listed above).
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.messages",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "apps.backoffice.staff",
    "apps.site",
]

INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "brands.Brand"
TENANT_DOMAIN_MODEL = "brands.Domain"
PUBLIC_SCHEMA_NAME = "public"
TENANT_LIMIT_SET_CALLS = True
