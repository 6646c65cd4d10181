"""The one reader of the public API's JSON bodies, and the checks every typed field shares.

Every endpoint reads its body here (the plain views through ``apps.api.plain.json_body``, the DRF
views through ``JsonParser``), so whatever a client sends is either a JSON value the views can
trust to be small, shallow and made of printable text, or a 4xx naming what is wrong:

- 413 ``request_too_large``: a body beyond ``API_MAX_BODY_BYTES`` (refused unread);
- 400 ``malformed_request``: not UTF-8, not JSON, NaN or Infinity, a number that is not finite
  or an integer beyond Python's 4300 digits, or nested deeper than ``MAX_DEPTH`` (checked
  before parsing: the parser itself recurses);
- 400 ``invalid_characters``: a control character (C0 but tab, newline and carriage return;
  DEL; C1) or a lone surrogate in any string or key. PostgreSQL refuses NUL and surrogates, and
  none of them belongs in a name, a key or an id.

Integers a client may send as a string (stakes, ids) are ASCII digits only (``ascii_integer``):
``str.isdigit()`` and ``int()`` also take superscripts, Arabic-Indic or full-width digits.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate

from django.conf import settings

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 100
BIGINT_MAX = 2**63 - 1

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_C1 = re.compile(r"[\x80-\x9f]")
_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?")
# Each byte's change to the nesting depth: +1 opening an array or object, -1 closing one.
_DEPTH_STEP = [0] * 256
_DEPTH_STEP[ord("[")] = _DEPTH_STEP[ord("{")] = 1
_DEPTH_STEP[ord("]")] = _DEPTH_STEP[ord("}")] = -1


class BodyInvalid(ValueError):
    """A body the API does not read; ``code`` and ``status`` are the answer's."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def max_body_bytes() -> int:
    """The largest JSON body the API reads (the setting ``API_MAX_BODY_BYTES``)."""
    return settings.API_MAX_BODY_BYTES


def content_length(meta: dict) -> int:
    """The length a request's headers announce (0 when none), or BodyInvalid."""
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BodyInvalid("malformed_request", "the Content-Length is not a number") from None


def too_large() -> BodyInvalid:
    return BodyInvalid("request_too_large", "the request body is too large", 413)


def json_read(raw: bytes, encoding: str | None = None) -> object:
    """The JSON value of a request body, or BodyInvalid (see the module's rules)."""
    if len(raw) > max_body_bytes():
        raise too_large()
    try:
        text = raw.decode(encoding or "utf-8")
    except (UnicodeDecodeError, LookupError) as exc:
        raise BodyInvalid("malformed_request", f"JSON parse error - {exc}") from None
    if _deeper_than(text, MAX_DEPTH):
        raise BodyInvalid("malformed_request", f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise BodyInvalid("malformed_request", f"JSON parse error - {exc}") from None
    if _may_hold_control(text) and _has_control(value):
        raise BodyInvalid("invalid_characters", "text may not contain control characters")
    return value


def _deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than ``limit`` deep (brackets inside
    strings do not count). Cheap when the text has few brackets, as a request's body has."""
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _STRING.sub("", text).encode("utf-8", "surrogatepass")
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > limit


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


# One decoder for every request (json.loads with options builds a new one on each call). An
# integer beyond Python's int-from-string limit (4300 digits) is a ValueError, so malformed.
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def _may_hold_control(text: str) -> bool:
    """Whether the JSON text may hold a control character once parsed: any \\u escape, or one
    raw (strict parsing refuses raw C0 in strings, not DEL or C1). Cheap for a plain body."""
    return "\\u" in text or "\x7f" in text or (not text.isascii() and bool(_C1.search(text)))


def _has_control(value: object) -> bool:
    """Whether any string (value or key) in the parsed JSON holds a control character."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if has_control_characters(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a character the API refuses in text (see the module's rules)."""
    return _CONTROL.search(text) is not None


def ascii_integer(value: object, *, low: int = 0, high: int = BIGINT_MAX) -> int | None:
    """``value`` as an integer from ``low`` to ``high`` (a JSON integer, or a string of ASCII
    digits), or None. Booleans, floats, signs, spaces, underscores and other scripts' digits
    are not integers here."""
    if isinstance(value, str):
        if len(value) > MAX_INTEGER_DIGITS or not _DIGITS.fullmatch(value):
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def ascii_decimal(value: str) -> bool:
    """Whether ``value`` is a plain decimal in ASCII: digits, at most one point, digits."""
    return _DECIMAL.fullmatch(value) is not None
