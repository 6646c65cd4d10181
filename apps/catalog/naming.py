"""Market and outcome names from the descriptions' templates and a line's specifiers.

Templates use the feed's conventions: ``{total}`` a specifier's value, ``{+hcp}``/``{-hcp}`` the
value signed (negated for ``-``), ``{!setnr}`` an ordinal ("3rd"), ``{$competitor1}`` and
``{$competitor2}`` the event's competitors.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_PLACEHOLDER = re.compile(r"\{([+\-!$]?)([a-z_0-9]+)\}")


def ordinal(value: str) -> str:
    try:
        n = int(value)
    except ValueError:
        return value
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _signed(value: str, negate: bool) -> str:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if negate:
        number = -number
    text = format(number.normalize(), "f") if number != 0 else "0"
    return f"+{text}" if number > 0 else text


class BadSpecifiers(ValueError):
    """Specifiers with a part that is not ``k=v``."""


def canonical_specifiers(raw: str | None) -> str:
    """A market line's specifiers as they identify it: ``k=v`` pairs sorted by key and joined by
    ``|``, so their order never splits a line. BadSpecifiers when a part is not ``k=v``."""
    if not raw:
        return ""
    pairs = []
    for part in raw.split("|"):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise BadSpecifiers(f"bad specifiers {raw!r}")
        pairs.append((key.strip(), value.strip()))
    return "|".join(f"{k}={v}" for k, v in sorted(pairs))


def parse_specifiers(specifiers: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in specifiers.split("|") if "=" in part)


def render(template: str, specifiers: str, *, home: str, away: str) -> str:
    values = parse_specifiers(specifiers)
    competitors = {"competitor1": home, "competitor2": away}

    def replace(match: re.Match) -> str:
        sign, name = match.groups()
        if sign == "$":
            return competitors.get(name, name)
        value = values.get(name)
        if value is None:
            return match.group(0)
        if sign == "!":
            return ordinal(value)
        if sign in "+-" and sign:
            return _signed(value, sign == "-")
        return value

    return _PLACEHOLDER.sub(replace, template)


def outcome_name(
    outcome_templates: dict, outcome_id: str, specifiers: str, *, home: str, away: str
) -> str:
    template = outcome_templates.get(outcome_id)
    if template is None:
        # Variant outcomes ("sr:exact_goals:4+:94") carry no template: show their last part.
        return outcome_id.rsplit(":", 1)[-1]
    return render(template, specifiers, home=home, away=away)
