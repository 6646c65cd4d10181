"""Two admin sites: the platform's global backoffice (public schema, all brands) and each brand's
own backoffice on its domain (its schema's staff, its own data only)."""

from django.contrib import admin


class PlatformAdminSite(admin.AdminSite):
    site_header = "Platform backoffice"
    site_title = "Platform backoffice"
    index_title = "All brands"


class BrandAdminSite(admin.AdminSite):
    site_header = "Brand backoffice"
    site_title = "Brand backoffice"

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = f"{request.tenant.name} backoffice"
        return context


platform_site = PlatformAdminSite(name="platform_admin")
brand_site = BrandAdminSite(name="brand_admin")
