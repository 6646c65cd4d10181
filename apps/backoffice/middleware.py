"""The backoffice only on its own host names, when the installation names them.

With ``BACKOFFICE_HOSTS`` set, ``/admin/`` answers only on those hosts and is a 404 anywhere else
(the brands' public domains, the platform's domain): staff logins are not offered to the whole
internet, and the admin hosts can sit behind their own network rules (VPN, allow-list). Empty,
the backoffice answers on every host (development).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse

ADMIN_PREFIX = "/admin/"


class BackofficeHostMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        allowed = settings.BACKOFFICE_HOSTS
        if allowed and (request.path_info + "/").startswith(ADMIN_PREFIX):
            try:
                host = request.get_host().split(":")[0].lower()
            except DisallowedHost:
                host = ""
            if host not in allowed:
                raise Http404("no backoffice on this host")
        return self.get_response(request)
