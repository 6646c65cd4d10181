"""Resolve the brand from the Host header; an unknown host gets a plain 404 page."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django_tenants.middleware.main import TenantMainMiddleware

from apps.brands.selectors import brand_for_host


class BrandMiddleware(TenantMainMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        connection.set_schema_to_public()
        try:
            host = request.get_host().split(":")[0]
        except DisallowedHost:
            host = ""
        brand = brand_for_host(host) if host else None
        if brand is None:
            return unknown_site(request, host)
        brand.domain_url = host
        request.tenant = brand
        connection.set_tenant(brand)
        self.setup_url_routing(request)
        return None


def unknown_site(request: HttpRequest, host: str) -> HttpResponse:
    body = render_to_string("unknown_site.html", {"host": host})
    return HttpResponse(body, status=404)
