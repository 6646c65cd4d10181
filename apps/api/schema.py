"""The API's OpenAPI 3 schema (drf-spectacular) and its docs page.

``/api/schema/`` is generated from the views of the brand's URL map under ``/api/v1/`` (their
serializers and ``extend_schema`` declarations); two hooks complete it: only the API's own
paths, and every operation's error answers in the one error shape (``ErrorCode`` is the enum of
``apps.api.errors.ERROR_CODES``). ``/api/docs/`` is Swagger UI from drf-spectacular-sidecar,
served by the site itself (no CDN) with its start-up script as a file of its own: nothing inline
runs, so the strict content security policy holds.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.api.errors import ERROR_CODES

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API answers has this shape.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"$ref": "#/components/schemas/ErrorCode"},
                "message": {
                    "type": "string",
                    "description": "A sentence a client may show to a person as it is.",
                },
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "More about the error, empty when there is nothing more: "
                    "`fields` (each invalid field's messages), `leg` (the slip's leg a refusal "
                    "concerns), a refusal's figures (`odds`, `max_stake`, `offer`, ...), "
                    "`retry_after` (seconds, also the Retry-After header).",
                },
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

# The errors any operation may answer, and those of operations that need a player or change
# something (a CSRF token is required on every unsafe request, logged in or not).
_ANY = {
    "400": "The request is not valid (`malformed_request`, `invalid_characters`, "
    "`invalid_request`).",
    "404": "Not found (`not_found`).",
    "405": "The method is not allowed here (`method_not_allowed`).",
    "406": "The client accepts no JSON (`not_acceptable`).",
    "429": "Too many requests (`throttled`, `too_many_attempts`); see Retry-After.",
    "500": "An unexpected error (`error`).",
    "503": "A service behind the API is unavailable; see Retry-After.",
}
_UNSAFE = {
    "403": "No valid CSRF token, or not allowed (`permission_denied`).",
    "413": "The body is too large (`request_too_large`).",
    "415": "The body is not JSON (`unsupported_media_type`).",
}
_PLAYER = {"401": "Not logged in (`not_authenticated`)."}
# Operations open to anonymous clients; every other operation needs a logged-in player.
_ANONYMOUS_TAGS = {"catalog", "session"}
_ANONYMOUS_OPERATIONS = {"players_create"}


def api_paths_only(endpoints: list, **kwargs: Any) -> list:
    """Preprocessing hook: the API's own paths (``/api/v1/``), not the docs' or the schema's."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def error_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Postprocessing hook: the ``Error`` and ``ErrorCode`` components, and on every operation
    the error answers it may give (those it declares itself are kept)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorCode"] = {
        "type": "string",
        "enum": list(ERROR_CODES),
        "description": "\n".join(f"* `{code}`: {text}" for code, text in ERROR_CODES.items()),
    }
    schemas["Error"] = ERROR_SCHEMA
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            errors = dict(_ANY)
            if method != "get":
                errors.update(_UNSAFE)
            tags = set(operation.get("tags", []))
            if tags & _ANONYMOUS_TAGS or operation["operationId"] in _ANONYMOUS_OPERATIONS:
                if operation.get("security") and {} not in operation["security"]:
                    operation["security"].append({})  # a session is optional here
            else:
                errors.update(_PLAYER)
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses.setdefault(status, _error_response(description))
            for status, response in responses.items():
                if status.startswith(("4", "5")) and not response.get("content"):
                    response["content"] = _error_response("")["content"]
    return result


schema_view = SpectacularAPIView.as_view()
docs_view = SpectacularSwaggerSplitView.as_view(
    url_name="api-schema", template_name="api/docs.html"
)
