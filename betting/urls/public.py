"""The platform's domain (public schema): the global backoffice."""

from django.urls import path

from apps.backoffice.sites import platform_site
from apps.site import views as site_views

urlpatterns = [
    path("admin/", platform_site.urls),
    path("", site_views.home, name="platform-home"),
]
