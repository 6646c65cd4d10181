"""One error shape for the whole public API, and the one set of codes it answers with.

Every error the API answers, whichever view or layer raised it (DRF's own 401, 403, 404, 405,
406, 415, 429 and parse errors; a validation error; a refusal of the bets or players services;
the plain views of ``apps.api.plain``; an unknown ``/api/`` path), has the body::

    {"error": {"code": "<one of ERROR_CODES>", "message": "<a sentence>", "details": {...}}}

``message`` is a sentence a client may show to a person as it is (the bet slip does);
``details`` is always an object, empty unless the code has more to say: ``fields`` (a
validation error: each field's messages), ``leg`` (the slip's leg a refusal concerns), the
refusal's figures (``odds``, ``max_stake``, ``offer``, ...) or ``retry_after`` (seconds, also
sent as the ``Retry-After`` header of a 429 or 503). The codes and their sentences are listed in
``ERROR_CODES`` (the schema's enum, docs/api.md's table).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

# Every code the API answers with, and the sentence it says when the raiser has none of its
# own. Grouped: the request itself, who may call, the players' services, the bets' refusals,
# the services behind the API.
ERROR_CODES: dict[str, str] = {
    # The request.
    "malformed_request": "The request body is not valid JSON.",
    "invalid_characters": "The request contains control characters, which are not allowed.",
    "request_too_large": "The request body is too large.",
    "unsupported_media_type": "Send the request body as JSON (Content-Type: application/json).",
    "not_acceptable": "The API answers in JSON only.",
    "invalid_request": "Some fields are not valid; see the details.",
    "method_not_allowed": "This method is not allowed here.",
    "not_found": "Nothing was found here.",
    "throttled": "Too many requests; please wait a moment and try again.",
    # Who may call.
    "not_authenticated": "Please log in first.",
    "authentication_failed": "Your session is not valid; please log in again.",
    "permission_denied": "You may not do this.",
    "invalid_credentials": "Wrong username or password.",
    "too_many_attempts": "Too many attempts; please wait a moment and try again.",
    # The players' services.
    "username_taken": "This username is taken.",
    "invalid_username": "This username cannot be used.",
    "invalid_email": "Enter a valid e-mail address.",
    "invalid_display_name": "The display name is at most 60 characters.",
    "weak_password": "This password is too weak.",
    "wrong_password": "The current password is wrong.",
    "current_password_required": "Enter your current password to change your e-mail address.",
    "unknown_player": "No such player.",
    "invalid_link": "This link is no longer valid; please ask for a new one.",
    # The bets' refusals (placing, the in-play delay's decision, cash-out).
    "odds_changed": "The odds have changed.",
    "outcome_inactive": "This selection takes no bets now.",
    "unknown_market": "This market is not available.",
    "leg_suspended": "A selection's market is suspended.",
    "stake_too_low": "The stake is below the minimum.",
    "stake_too_high": "The stake is above the maximum.",
    "payout_too_high": "The potential payout is above the maximum.",
    "liability_limit": "This bet would take the selection past its limit.",
    "wager_limit": "This stake would go past your wager limit.",
    "loss_limit": "This bet could go past your loss limit.",
    "insufficient_funds": "Not enough funds for this stake.",
    "wrong_leg_count": "This bet has too few or too many selections.",
    "too_many_lines": "This system bet has too many lines.",
    "duplicate_leg": "The same selection appears twice.",
    "same_event": "A multiple cannot combine two selections of one event.",
    "idempotency_key_reused": "This key was already used for a different request.",
    "account_closed": "This account takes no bets.",
    "external_wallet_not_supported": "Bets need the platform's wallet on this site.",
    "expired": "The bet was not decided in time and was refused.",
    "unknown_bet": "No such bet.",
    "not_open": "Only an open bet can be cashed out.",
    "no_offer": "This bet has no cash-out offer now.",
    "price_moved": "The cash-out offer has changed.",
    "invalid_amount": "The amount must be between 1 and the offer.",
    # The services behind the API (answered with 503 and Retry-After).
    "redis_unavailable": "The service is briefly unavailable; please try again.",
    "database_timeout": "The service took too long to answer; please try again.",
    "database_busy": "The service is busy; please try again.",
    "database_unavailable": "The service is briefly unavailable; please try again.",
    # Anything else (never expected: a code not in this table is a bug).
    "error": "Something went wrong.",
}


def message_for(code: str) -> str:
    """The sentence of ``code`` (ERROR_CODES), or the generic one."""
    return ERROR_CODES.get(code, ERROR_CODES["error"])


def sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def error_body(code: str, message: str | None = None, details: dict | None = None) -> dict:
    """The API's error body: ``message`` (a sentence; the code's own when None) and
    ``details`` (an object, empty when None)."""
    return {
        "error": {
            "code": code,
            "message": sentence(message) if message else message_for(code),
            "details": details or {},
        }
    }


class ApiError(exceptions.APIException):
    """An error a DRF view raises: answered by ``exception_handler`` in the API's shape."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        http_status: int = 400,
        field: str | None = None,
        retry_after: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message or message_for(code))
        self.status_code = http_status
        self.error_code = code
        self.own_message = message
        self.details = dict(details or {})
        if field:
            self.details["fields"] = {field: [sentence(message or message_for(code))]}
        if retry_after is not None:
            self.details["retry_after"] = retry_after
        self.retry_after = retry_after


def error_response(
    code: str, message: str | None, http_status: int, details: dict[str, Any] | None = None
) -> Response:
    response = Response(error_body(code, message, details), status=http_status)
    retry_after = (details or {}).get("retry_after")
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


# DRF's exceptions (and Django's, which DRF converts) and their codes; the first match wins.
_CODES: tuple[tuple[type[Exception], str], ...] = (
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (DjangoPermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (Http404, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.ParseError, "malformed_request"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
)
# DRF's default texts for these say nothing a player needs: the code's sentence is used.
_OWN_SENTENCE = {"not_found", "not_authenticated", "not_acceptable", "throttled"}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every exception of a DRF view in the API's error shape."""
    if isinstance(exc, ApiError):
        return error_response(exc.error_code, exc.own_message, exc.status_code, exc.details)
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return error_response("invalid_request", None, 400, {"fields": fields})
    code = next((c for kind, c in _CODES if isinstance(exc, kind)), None)
    if code is None:
        if isinstance(exc, exceptions.APIException):
            code = "error"
        else:
            return None  # not an API error: Django's 500 handler answers
    status = getattr(exc, "status_code", 404 if code == "not_found" else 403)
    detail = getattr(exc, "detail", None)
    message = None if code in _OWN_SENTENCE or not isinstance(detail, str) else str(detail)
    details: dict[str, Any] = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details["retry_after"] = max(1, int(exc.wait + 0.999))
    response = error_response(code, message, status, details)
    if isinstance(exc, exceptions.MethodNotAllowed):
        view = context.get("view")
        if view is not None:
            response["Allow"] = ", ".join(view.allowed_methods)
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    return response


def json_error(
    code: str, message: str | None, status: int, details: dict[str, Any] | None = None
) -> HttpResponse:
    """An error in the API's shape from a plain Django view (no DRF response machinery)."""
    response = HttpResponse(
        json.dumps(error_body(code, message, details), ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
    )
    retry_after = (details or {}).get("retry_after")
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@csrf_exempt  # a 404 whatever the method: not the CSRF failure page
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any ``/api/`` path no route takes: a 404 in the API's shape (not the site's page)."""
    return json_error("not_found", None, 404)
