"""The backoffice's staff: second factor, login lock-out, the admin's hosts, adjustment limits."""

from datetime import timedelta

from betting.env import env_int, env_list

# Where the backoffices answer: empty, on every host that reaches a brand or the platform; set,
# only on these host names (each must also be one of its brand's domains, or PLATFORM_DOMAIN),
# and /admin/ on any other host is a 404.
BACKOFFICE_HOSTS = [host.lower() for host in env_list("BACKOFFICE_HOSTS", [])]

# Staff sign in with a password and a TOTP code (django-otp; one device per staff member,
# enrolled with create_staff or staff_totp_enrol). A code's window is 30 s, one step of drift
# is accepted, and every failed code doubles the wait before the device takes another.
OTP_TOTP_ISSUER = "Betting platform backoffice"

# Staff logins (django-axes): after AXES_FAILURE_LIMIT failures for one username from one client
# address the pair is locked out (HTTP 429) for STAFF_LOCKOUT_MINUTES; each attempt and failure
# is recorded in the schema of the site it was made on (platform or brand) and shown there.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("STAFF_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("STAFF_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False  # registered on the platform's and the brands' sites instead
AXES_VERBOSE = False
# The client's address as the players' attempt limits see it (X-Forwarded-For only behind
# TRUSTED_PROXY_COUNT proxies): behind the ingress, not the proxy's own address for everyone.
AXES_CLIENT_IP_CALLABLE = "betting.client_address.client_address"

# Manual wallet adjustments by staff, in minor units of the player's currency. A role (a group
# with a role limit in the backoffice) may set its own; a staff member in no limited role gets
# these. Above STAFF_ADJUST_LIMIT an adjustment is refused; above STAFF_APPROVAL_ABOVE it waits
# for a second staff member's approval before anything is posted.
STAFF_ADJUST_LIMIT = env_int("STAFF_ADJUST_LIMIT", 1_000_000)
STAFF_APPROVAL_ABOVE = env_int("STAFF_APPROVAL_ABOVE", 100_000)

# The admin never shows a device's key (nor its QR code): keys are given once, at enrolment.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
