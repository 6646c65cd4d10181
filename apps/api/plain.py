"""Plain Django views of the public API: the same contract as the DRF views (CSRF on unsafe
requests, JSON bodies only, ``{"error": {"code", "message", "details"}}``), without DRF's
per-request machinery (content negotiation, parser and renderer selection, the request
wrapper). Kept for the hottest request, placing a bet, where that machinery cost more than the
view's own work.
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from apps.api import body as api_body
from apps.api.errors import json_error

JSON = "application/json"


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):  # the reason, instead of Django's 403 page
        return reason


def csrf_failure(request: HttpRequest) -> str | None:
    """Why Django's CSRF protection refuses this request (None when it passes): the API applies
    it to every unsafe request, logged in or not (login CSRF)."""
    check = _CsrfCheck(lambda req: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


class PlainError(Exception):
    """An API error of a plain view, answered as the DRF views answer theirs."""

    def __init__(
        self, code: str, message: str | None, status: int, details: dict | None = None
    ) -> None:
        super().__init__(message or "")
        self.code = code
        self.status = status
        self.details = details

    def response(self) -> HttpResponse:
        return json_error(self.code, str(self) or None, self.status, self.details)


def json_response(body: object, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status=status,
        content_type=JSON,
    )


def check_csrf(request: HttpRequest) -> None:
    """PlainError 403 ``permission_denied`` without a valid CSRF token (an unsafe request)."""
    reason = csrf_failure(request)
    if reason:
        raise PlainError("permission_denied", f"CSRF Failed: {reason}", 403)


def json_body(request: HttpRequest) -> object:
    """The request's JSON body, read by the API's one reader (``apps.api.body.json_read``), or
    PlainError: 415 ``unsupported_media_type`` for another content type, 413
    ``request_too_large`` beyond ``API_MAX_BODY_BYTES`` (or ``DATA_UPLOAD_MAX_MEMORY_SIZE``),
    400 ``malformed_request`` or ``invalid_characters`` as the reader answers. No body at all is
    an empty object, as for the DRF views (whose validation then names the missing fields)."""
    length = request.META.get("CONTENT_LENGTH")
    if not length or length == "0":
        return {}
    media = request.content_type or ""
    if media != JSON:
        raise PlainError(
            "unsupported_media_type", f'Unsupported media type "{media}" in request.', 415
        )
    try:
        if api_body.content_length(request.META) > api_body.max_body_bytes():
            raise api_body.too_large()
        return api_body.json_read(request.body, request.encoding)
    except api_body.BodyInvalid as exc:
        raise PlainError(exc.code, str(exc), exc.status) from None
    except RequestDataTooBig:
        raise PlainError("request_too_large", "the request body is too large", 413) from None
