"""Calls to a provider's API: its token, and how a request carrying it is sent.

A request with the token goes to the provider's ``api_url`` only: a redirect is not followed
(urllib would send the token's header on to wherever the answer points), it is an error. Every
call has a timeout. The token comes from the environment variable the record names, and only
from a name with ``TOKEN_ENV_PREFIX`` (the model refuses others; a row written around the model
gets no token at all).
"""

from __future__ import annotations

import logging
import os
import urllib.request
from http.client import HTTPResponse

from apps.providers.models import (
    BROKER_URL_ENV_PREFIX,
    TOKEN_ENV_PREFIX,
    Provider,
    env_name_allowed,
)

log = logging.getLogger(__name__)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx itself is raised as an HTTPError


_opener = urllib.request.build_opener(_RefuseRedirects)


def provider_open(request: urllib.request.Request, *, timeout: float) -> HTTPResponse:
    """``urlopen`` for a provider's API: no redirects followed (a 3xx raises HTTPError), and
    ``timeout`` seconds at most for the connection and for each read."""
    return _opener.open(request, timeout=timeout)


def _from_env(provider: Provider, field: str, prefix: str) -> str | None:
    name = getattr(provider, field)
    if not name:
        return None
    if not env_name_allowed(name, prefix):
        log.error(
            "provider setting refused: not a provider variable",
            extra={"provider": provider.name, "field": field, "prefix": prefix},
        )
        return None
    return os.environ.get(name) or None


def provider_token(provider: Provider) -> str | None:
    """The provider's API token, from its ``PROVIDER_TOKEN_…`` variable (None: no token)."""
    return _from_env(provider, "token_env", TOKEN_ENV_PREFIX)


def provider_broker_url(provider: Provider) -> str | None:
    """The provider's own broker URL, from its ``PROVIDER_BROKER_URL_…`` variable."""
    return _from_env(provider, "broker_url_env", BROKER_URL_ENV_PREFIX)
