"""Core Django settings: security, middleware, templates, static files, passwords."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from betting.env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
BUILDING = env_bool("BETTING_BUILD", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or BUILDING):
        raise ImproperlyConfigured("SECRET_KEY is not set (set DEBUG=1 for a development key)")
    SECRET_KEY = "development-only-not-secret"  # noqa: S105

# Hosts are matched against brand domains by the tenant middleware; unknown hosts get a 404.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Trust X-Forwarded-Proto only behind a proxy that sets it (otherwise clients could spoof it).
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "SAMEORIGIN"

# The global backoffice's host name (the public schema); brands have their own domains.
PLATFORM_DOMAIN = env_str("PLATFORM_DOMAIN", "localhost")
# Where event pages open their live-odds socket: empty, the page's own host and port (a proxy
# routes /ws/events/ to the gateway); a port, the gateway on the page's host at that port.
LIVE_ODDS_PORT = env_str("LIVE_ODDS_PORT", "")
# Where every page of a logged-in player opens the player's socket (/ws/player/, served by the
# sockets role): empty, the page's own host and port (a proxy routes /ws/player/ to the sockets
# role); a port, the sockets role on the page's host at that port.
PLAYER_SOCKET_PORT = env_str("PLAYER_SOCKET_PORT", "")
# How long a process keeps a brand's compiled offering (margin, rules) before re-reading it.
OFFER_CACHE_S = float(env_str("OFFER_CACHE_S", "5"))

MIDDLEWARE = [
    "apps.ops.middleware.OpsMiddleware",
    "apps.brands.middleware.BrandMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.players.middleware.SessionLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.players.middleware.PlayerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("INSECURE_FAST_PASSWORD_HASHING", False):
    # For the test suite only: hashing cost would dominate its run time.
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
}
