"""Logins and sessions: the client's address behind proxies, attempt windows, session lifetimes.

Every figure can be set from the environment; docs/operations.md lists them.
"""

from django.core.exceptions import ImproperlyConfigured

from betting.env import env_bool, env_int, env_list, env_str


def _windows(name: str, default: str) -> list[tuple[int, int]]:
    """``"10/60,50/3600"``: at most 10 attempts in any 60 seconds and 50 in any hour."""
    windows = []
    for item in (env_str(name) or default).split(","):
        try:
            limit, period = (int(part) for part in item.strip().split("/"))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not attempts/seconds") from None
        if limit < 1 or period < 1:
            raise ImproperlyConfigured(f"{name}: {item!r} must be positive")
        windows.append((limit, period))
    return windows


# How many proxies in front of the web role append to X-Forwarded-For (the TLS ingress: 1). The
# client is the address that many entries from the right; 0 trusts no header and takes the
# connection's peer. Counting from the right means a client cannot pick its address by sending
# the header itself.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

# Sliding windows over the attempts that can test a password or reveal an account (login,
# registration, a password check before changing the password or e-mail), shared by the site's
# forms and the API: per client address, and per subnet (IPv4 /24, IPv6 /64) so that rotating
# addresses inside one network does not multiply the budget. A successful login gives its
# attempt back.
THROTTLE_ADDRESS_WINDOWS = _windows("THROTTLE_ADDRESS_WINDOWS", "10/60,50/3600")
THROTTLE_SUBNET_WINDOWS = _windows("THROTTLE_SUBNET_WINDOWS", "40/60,200/3600")
THROTTLE_SUBNET_V4 = env_int("THROTTLE_SUBNET_V4", 24)
THROTTLE_SUBNET_V6 = env_int("THROTTLE_SUBNET_V6", 64)
# Networks never limited by address (a load generator, a monitoring probe), in CIDR notation.
# The per-login-name delay still applies to them.
THROTTLE_EXEMPT_NETWORKS = env_list("THROTTLE_EXEMPT_NETWORKS", [])
# Failed logins to one name (from anywhere): the first few cost nothing, then each attempt waits
# twice as long as the one before, up to a ceiling; forgotten a while after the last failure and
# at the first success. The owner is slowed down, never locked out.
LOGIN_NAME_FREE_FAILURES = env_int("LOGIN_NAME_FREE_FAILURES", 5)
LOGIN_NAME_DELAY_S = env_int("LOGIN_NAME_DELAY_S", 1)
LOGIN_NAME_DELAY_MAX_S = env_int("LOGIN_NAME_DELAY_MAX_S", 300)
LOGIN_NAME_FORGET_S = env_int("LOGIN_NAME_FORGET_S", 3600)

# Player sessions: the regulator's bounds for the whole platform; each brand picks its own
# figures inside them (Brand.session_absolute_minutes, Brand.session_idle_minutes).
PLAYER_SESSION_ABSOLUTE_MAX_MINUTES = env_int("PLAYER_SESSION_ABSOLUTE_MAX_MINUTES", 12 * 60)
PLAYER_SESSION_IDLE_MAX_MINUTES = env_int("PLAYER_SESSION_IDLE_MAX_MINUTES", 30)
PLAYER_SESSION_MIN_MINUTES = 5
# Staff (the backoffices): shorter, whatever the brand.
STAFF_SESSION_ABSOLUTE_MINUTES = env_int("STAFF_SESSION_ABSOLUTE_MINUTES", 4 * 60)
STAFF_SESSION_IDLE_MINUTES = env_int("STAFF_SESSION_IDLE_MINUTES", 15)
# A session's last activity is written at most this often (a write per request is not worth
# it): a session idles out between IDLE - TOUCH and IDLE after the last request.
SESSION_TOUCH_S = 60
for _name in (
    "PLAYER_SESSION_ABSOLUTE_MAX_MINUTES",
    "PLAYER_SESSION_IDLE_MAX_MINUTES",
    "STAFF_SESSION_ABSOLUTE_MINUTES",
    "STAFF_SESSION_IDLE_MINUTES",
):
    if globals()[_name] < PLAYER_SESSION_MIN_MINUTES:
        raise ImproperlyConfigured(f"{_name} must be at least {PLAYER_SESSION_MIN_MINUTES}")
# The cookie and the stored session live no longer than the longest session allowed; each
# logged-in session is given its own, shorter expiry (its idle limit) at every write.
SESSION_COOKIE_AGE = 60 * max(PLAYER_SESSION_ABSOLUTE_MAX_MINUTES, STAFF_SESSION_ABSOLUTE_MINUTES)

# Password reset e-mails (apps/players/password_reset.py, sent by the global worker). Without
# EMAIL_HOST they are printed on its output (Django's console backend: development, make run);
# with it, sent over SMTP. A reset link works for PASSWORD_RESET_TIMEOUT seconds (default an
# hour) and only once.
EMAIL_HOST = env_str("EMAIL_HOST", "") or ""
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost") or "no-reply@localhost"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
