from django.contrib import admin

from apps.backoffice.sites import brand_site
from apps.site.models import SiteSettings


@admin.register(SiteSettings, site=brand_site)
class SiteSettingsAdmin(admin.ModelAdmin):
    list_display = ["title", "tagline", "primary_colour"]
