"""A brand's domains: the site, the public API and the brand's own backoffice."""

from django.urls import include, path

from apps.backoffice.sites import brand_site

# Each app's routes in the public API, all named in the one "api" namespace (the included
# modules name no namespace of their own).
api = [
    path("", include("apps.players.api_urls")),
    path("", include("apps.wallet.api_urls")),
    path("", include("apps.bets.api_urls")),
]

urlpatterns = [
    path("admin/", brand_site.urls),
    path("api/v1/", include((api, "api"), namespace="api")),
    path("account/wallet/", include("apps.wallet.urls")),
    path("account/bets/", include("apps.bets.urls")),
    path("account/", include("apps.players.urls")),
    path("sports/", include("apps.catalog.urls")),
    path("", include("apps.site.urls")),
]

# A service outage (Redis, PostgreSQL) answers 503 with a code; anything else, the 500 page.
handler500 = "apps.ops.unavailable.server_error"
