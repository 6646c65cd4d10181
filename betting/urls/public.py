"""The platform's domain (public schema): the global backoffice."""

from django.urls import path

from apps.backoffice.sites import platform_site
from apps.site import views as site_views

urlpatterns = [
    path("admin/", platform_site.urls),
    path("", site_views.home, name="platform-home"),
]

# A service outage (Redis, PostgreSQL) answers 503 with a code; anything else, the 500 page.
handler500 = "apps.ops.unavailable.server_error"
