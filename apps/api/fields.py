"""Serializer fields the API's DRF views share."""

from __future__ import annotations

from rest_framework import serializers

from apps.api.body import BIGINT_MAX, ascii_integer


class AsciiIntegerField(serializers.IntegerField):
    """An integer sent as a JSON integer or a string of ASCII digits, within bigint (DRF's own
    IntegerField takes other scripts' digits and has no upper bound unless given one)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> int:
        number = ascii_integer(data, low=-BIGINT_MAX - 1, high=BIGINT_MAX)
        if number is None:
            self.fail("invalid")
        return number
