"""One error shape for the public API: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int = 400,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = http_status
        self.error_code = code
        self.field = field
        self.retry_after = retry_after


def error_response(
    code: str, message: str, http_status: int, fields: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return Response({"error": body}, status=http_status)


_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "malformed_request",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApiError):
        fields = {exc.field: str(exc.detail)} if exc.field else None
        response = error_response(exc.error_code, str(exc.detail), exc.status_code, fields)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return error_response("invalid_request", "the request is not valid", 400, response.data)
    code = next((c for kind, c in _CODES.items() if isinstance(exc, kind)), "error")
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    return error_response(code, str(detail), response.status_code)
