"""A brand's domains: the site, the public API and the brand's own backoffice."""

from django.urls import include, path, re_path

from apps.api import errors as api_errors
from apps.api import schema as api_schema
from apps.backoffice.sites import brand_site
from apps.ops import unavailable
from apps.site import errors

# Each app's routes in the public API, all named in the one "api" namespace (the included
# modules name no namespace of their own).
api = [
    path("", include("apps.players.api_urls")),
    path("", include("apps.wallet.api_urls")),
    path("", include("apps.bets.api_urls")),
    path("", include("apps.catalog.api_urls")),
]

urlpatterns = [
    path("admin/", brand_site.urls),
    path("api/v1/", include((api, "api"), namespace="api")),
    # The API's OpenAPI 3 schema and its docs page (Swagger UI); any other /api/ path is a 404
    # in the API's error shape.
    path("api/schema/", api_schema.schema_view, name="api-schema"),
    path("api/docs/", api_schema.docs_view, name="api-docs"),
    re_path(r"^api/", api_errors.not_found),
    path("account/wallet/", include("apps.wallet.urls")),
    path("account/bets/", include("apps.bets.urls")),
    path("account/", include("apps.players.urls")),
    path("sports/", include("apps.catalog.urls")),
    path("", include("apps.site.urls")),
]


def server_error(request):
    """A service outage (Redis, PostgreSQL) answers 503 with a code; anything else, the brand's
    500 page (which queries nothing)."""
    return unavailable.server_error(request, page=errors.server_error)


handler403 = errors.forbidden
handler404 = errors.not_found
handler500 = server_error
