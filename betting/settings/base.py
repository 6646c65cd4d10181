"""Core Django settings: security, middleware, templates, static files, passwords."""

import os
import sys
from pathlib import Path

from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

from betting.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
# pytest sets PYTEST_VERSION for its run, and the processes the tests start inherit it: the only
# context where test-suite shortcuts (the fast hasher, any host name) are accepted.
TESTING = bool(os.environ.get("PYTEST_VERSION"))
# The image build's `collectstatic`: settings load without a secret or host names, and nothing
# else may run that way (a process that serves must never pick up the build's shortcuts).
BUILDING = env_bool("BETTING_BUILD", False)
if BUILDING and sys.argv[1:2] != ["collectstatic"]:
    raise ImproperlyConfigured("BETTING_BUILD=1 is for the image build's collectstatic only")
# `manage.py makemigrations` reads the models only: it needs no real secret or host names.
AUTHORING = sys.argv[1:2] == ["makemigrations"]
# Served for real: not development, not the test suite, not the build.
SERVING = not (DEBUG or TESTING or BUILDING or AUTHORING)

# Values that appear in the repository (examples, the build, development) are known to everyone.
_KNOWN_SECRETS = {
    "REPLACE_ME",
    "build-only-not-a-secret",
    "development-only-not-secret",
    "test-suite-not-secret",
}
SECRET_KEY = env_str("SECRET_KEY")
if SERVING and (not SECRET_KEY or SECRET_KEY in _KNOWN_SECRETS or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of 32+ characters "
        "(e.g. `openssl rand -base64 48`; DEBUG=1 gives development a fixed key)"
    )
if not SECRET_KEY:
    SECRET_KEY = "development-only-not-secret"  # noqa: S105

# Host names this installation answers: every brand's domain (or a parent domain with a leading
# dot, `.brands.example`) and PLATFORM_DOMAIN. The tenant middleware then maps each host to its
# brand (unknown ones get a 404). Served for real, the list is required and `*` is refused, so
# Django itself rejects a forged Host before anything builds a URL from it.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if SERVING and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the brands' domains and PLATFORM_DOMAIN (comma-separated; "
        "`.example.com` matches its subdomains); `*` is refused"
    )
if TESTING and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["*"]  # the test client's hosts; the tenant middleware still maps them
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Trust X-Forwarded-Proto only behind a proxy that sets it (otherwise clients could spoof it).
# Behind a TLS-terminating proxy this must be on: CSRF compares the browser's https:// Origin
# with the scheme Django sees, and refuses every form POST if the request looks like plain HTTP.
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Cookies travel over TLS only, unless DEBUG (or SECURE_COOKIES=0 for a plain-HTTP local run).
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# HSTS: a browser that reached a site over HTTPS keeps to HTTPS for this many seconds. Django
# sends it on secure requests only, so plain-HTTP development never gets it; 0 turns it off.
# Subdomains are left out by default: a brand's domain may have hosts the platform does not serve.
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
# No URL (with its ids and query) leaves for another site in a Referer header.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"

# The global backoffice's host name (the public schema); brands have their own domains.
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN", "localhost")
# Where event pages open their live-odds socket: empty, the page's own host and port (a proxy
# routes /ws/events/ to the gateway); a port, the gateway on the page's host at that port.
LIVE_ODDS_PORT = env_str("LIVE_ODDS_PORT", "")
# Hosts of video streams players' browsers can reach: an event page shows a player only for a
# live stream on one of these (apps.catalog.streams); empty, no video player is shown.
VIDEO_STREAM_HOSTS = env_list("VIDEO_STREAM_HOSTS", [])
# Where every page of a logged-in player opens the player's socket (/ws/player/, served by the
# sockets role): empty, the page's own host and port (a proxy routes /ws/player/ to the sockets
# role); a port, the sockets role on the page's host at that port.
PLAYER_SOCKET_PORT = env_str("PLAYER_SOCKET_PORT", "")
# How long a process keeps a brand's compiled offering (margin, rules) before re-reading it.
OFFER_CACHE_S = float(env_str("OFFER_CACHE_S", "5"))

MIDDLEWARE = [
    "apps.ops.middleware.OpsMiddleware",
    "apps.brands.headers.BrandHeadersMiddleware",
    "apps.brands.middleware.BrandMiddleware",
    "apps.backoffice.middleware.BackofficeHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the site's scripts and styles, the admin's) straight from the apps' static
    # folders: the web role serves them itself, with long cache headers, before sessions and CSRF.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.players.middleware.SessionLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.players.middleware.PlayerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out staff login into a 429
]

# The content security policy (django-csp). Scripts and styles come from the site itself or
# carry the response's nonce (`nonce="{{ request.csp_nonce }}"` on every inline <script> and
# <style>); no inline handler or style attribute runs. apps.brands.headers adds per request the
# sockets' origins to connect-src and the brand's frame-ancestors. Event videos are the video
# provider's https:// streams.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "media-src": [csp.SELF, "https:"],
        "connect-src": [csp.SELF],
        "font-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.SELF],
    },
}

ROOT_URLCONF = "betting.urls.brand"
PUBLIC_SCHEMA_URLCONF = "betting.urls.public"
ASGI_APPLICATION = "betting.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.players.context_processors.player",
                "apps.realtime.context_processors.player_socket",
                "apps.site.context_processors.site",
            ],
        },
    },
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# No collectstatic step: WhiteNoise finds the files where the apps keep them.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("INSECURE_FAST_PASSWORD_HASHING", False):
    # For the test suite only: hashing cost would dominate its run time.
    if not TESTING:
        raise ImproperlyConfigured("INSECURE_FAST_PASSWORD_HASHING is for the test suite only")
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The largest JSON body the public API reads (a slip of 20 legs is under 3 KiB); larger is a 413.
API_MAX_BODY_BYTES = 64 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.players.auth.PlayerSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apps.players.auth.CsrfProtected"],
    "DEFAULT_PARSER_CLASSES": ["apps.api.parsers.JsonParser"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttle.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# The API's OpenAPI 3 schema, generated from the views (apps.api.schema).
SPECTACULAR_SETTINGS = {
    "TITLE": "Betting platform API",
    "DESCRIPTION": "A brand's public API: the catalog, the player, the wallet and bets. "
    "Served on each brand's domain; see docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EventStatusEnum": "apps.catalog.listing.EVENT_STATUS_CHOICES",
        "MarketStatusEnum": "apps.catalog.listing.MARKET_STATUS_CHOICES",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "PREPROCESSING_HOOKS": ["apps.api.schema.api_paths_only"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.schema.error_responses",
    ],
}
