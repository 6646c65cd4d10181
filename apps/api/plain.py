"""Plain Django views of the public API: the same contract as the DRF views (CSRF on unsafe
requests, JSON bodies only, ``{"error": {"code", "message", "fields"}}``), without DRF's
per-request machinery (content negotiation, parser and renderer selection, the request
wrapper). Kept for the hottest request, placing a bet, where that machinery cost more than the
view's own work.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

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

    def __init__(self, code: str, message: str, status: int, fields: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.fields = fields

    def response(self) -> HttpResponse:
        body: dict[str, Any] = {"code": self.code, "message": str(self)}
        if self.fields:
            body["fields"] = self.fields
        return json_response({"error": body}, self.status)


def json_response(body: object, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status=status,
        content_type=JSON,
    )


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def check_csrf(request: HttpRequest) -> None:
    """PlainError 403 ``permission_denied`` without a valid CSRF token (an unsafe request)."""
    reason = csrf_failure(request)
    if reason:
        raise PlainError("permission_denied", f"CSRF Failed: {reason}", 403)


def json_body(request: HttpRequest) -> object:
    """The request's JSON body, or PlainError: 415 ``unsupported_media_type`` for another
    content type, 413 ``request_too_large`` beyond ``DATA_UPLOAD_MAX_MEMORY_SIZE``, 400
    ``malformed_request`` for a body that is not JSON. No body at all is an empty object, as
    for the DRF views (whose validation then names the missing fields)."""
    if not request.META.get("CONTENT_LENGTH") or request.META["CONTENT_LENGTH"] == "0":
        return {}
    media = request.content_type or ""
    if media != JSON:
        raise PlainError(
            "unsupported_media_type", f'Unsupported media type "{media}" in request.', 415
        )
    try:
        raw = request.body
    except RequestDataTooBig:
        raise PlainError("request_too_large", "the request body is too large", 413) from None
    try:
        return json.loads(raw.decode(request.encoding or "utf-8"), parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlainError("malformed_request", f"JSON parse error - {exc}", 400) from None
