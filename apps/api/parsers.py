"""The DRF views' JSON parser: the API's one reader (``apps.api.body``), answering in the API's
error shape (413 ``request_too_large``, 400 ``malformed_request`` or ``invalid_characters``)."""

from __future__ import annotations

from rest_framework.parsers import BaseParser

from apps.api import body
from apps.api.errors import ApiError


class JsonParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None) -> object:
        request = (parser_context or {}).get("request")
        limit = body.max_body_bytes()
        try:
            if request is not None and body.content_length(request.META) > limit:
                raise body.too_large()
            raw = stream.read(limit + 1)
            encoding = (parser_context or {}).get("encoding")
            return body.json_read(raw, encoding)
        except body.BodyInvalid as exc:
            raise ApiError(exc.code, str(exc), http_status=exc.status) from None
