"""The plain API views' request handling (``apps.api.plain``), on requests built in process:
the cases a live server cannot show deterministically (a client still sending a body the server
refused unread may see the connection reset instead of the answer)."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory, override_settings

from apps.api.plain import PlainError, json_body


def _post(body: bytes, media: str = "application/json"):
    return RequestFactory().post("/api/v1/bets", data=body, content_type=media)


def test_a_json_body_is_read():
    assert json_body(_post(b'{"stake": 100, "legs": []}')) == {"stake": 100, "legs": []}


def test_no_body_is_an_empty_object_whatever_its_content_type():
    # As DRF reads it: the view's validation then names every missing field.
    assert json_body(_post(b"")) == {}
    assert json_body(_post(b"", media="text/plain")) == {}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)
def test_a_body_beyond_the_limit_is_refused_unread():
    request = _post(json.dumps({"padding": "x" * 2_000}).encode())
    with pytest.raises(PlainError) as refused:
        json_body(request)
    assert (refused.value.status, refused.value.code) == (413, "request_too_large")
    answer = json.loads(refused.value.response().content)
    # The API's one error shape: the code, its sentence from the table, and no details.
    assert answer == {
        "error": {
            "code": "request_too_large",
            "message": "The request body is too large.",
            "details": {},
        }
    }


@pytest.mark.parametrize(
    ("body", "media", "status", "code"),
    [
        (b'{"stake": NaN}', "application/json", 400, "malformed_request"),
        (b'{"stake": ', "application/json", 400, "malformed_request"),
        (b"\xff\xfe", "application/json", 400, "malformed_request"),
        (b'{"stake": 1}', "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_what_is_not_a_json_body_is_refused(body, media, status, code):
    with pytest.raises(PlainError) as refused:
        json_body(_post(body, media))
    assert (refused.value.status, refused.value.code) == (status, code)
