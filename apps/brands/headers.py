"""The content security policy of every page, completed per request: the sockets the page opens
and the origins allowed to frame the brand.

The policy itself is ``CONTENT_SECURITY_POLICY`` in the settings (django-csp): scripts and styles
from the site's own static files or carrying the response's nonce, nothing inline otherwise.
This middleware adds what depends on the request:

- ``connect-src``: the live-odds and player sockets, which ``LIVE_ODDS_PORT`` and
  ``PLAYER_SOCKET_PORT`` may put on another port of the page's host (``ws://`` on plain HTTP,
  ``wss://`` on HTTPS);
- ``frame-ancestors``: ``'self'`` and the brand's ``frame_ancestors`` (the operator's page in
  embedded mode). The backoffice under ``/admin/`` is framed by no one else, whatever the brand
  says. ``X-Frame-Options`` cannot name a list: it is ``SAMEORIGIN`` where the policy allows
  only ``'self'``, and left out where it names other origins (browsers that know CSP follow
  ``frame-ancestors`` and ignore it anyway).

Only HTML answers get these headers; the API's JSON runs nothing in a browser.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase

SELF = "'self'"
BACKOFFICE_PREFIX = "/admin/"


def _socket_sources(request: HttpRequest) -> list[str]:
    try:
        host = request.get_host()
    except DisallowedHost:
        return []
    scheme = "wss" if request.is_secure() else "ws"
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    sources = [f"{scheme}://{host}"]  # the page's own host and port, behind a routing proxy
    for port in (settings.LIVE_ODDS_PORT, settings.PLAYER_SOCKET_PORT):
        if port:
            sources.append(f"{scheme}://{hostname}:{port}")
    return sources


def frame_ancestors_for(request: HttpRequest) -> list[str]:
    """Who may frame this response: the brand itself, and its operator's origins on its site."""
    brand = getattr(request, "tenant", None)
    if brand is None or request.path_info.startswith(BACKOFFICE_PREFIX):
        return [SELF]
    return [SELF, *brand.frame_ancestors]


class BrandHeadersMiddleware(CSPMiddleware):
    """django-csp's middleware, with the request's sockets and the brand's frame ancestors.

    Placed before the brand middleware, so a host that reaches no brand gets the policy too."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        update["connect-src"] = _socket_sources(request)
        parts.update = update
        parts.replace = {**(parts.replace or {}), "frame-ancestors": frame_ancestors_for(request)}
        return parts

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # The policy governs documents: JSON, CSV and the like run nothing in a browser (and
        # nosniff keeps it from reading them as HTML), so the API's answers skip the work.
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        response = super().process_response(request, response)
        if frame_ancestors_for(request) == [SELF]:
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        else:
            response.headers.pop("X-Frame-Options", None)
        return response
