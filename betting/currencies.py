"""ISO 4217 currencies the platform accepts, with their minor-unit exponent; money shown in a
currency's major unit (``money``) and money a person typed (``parse_amount``).

Money is always an integer count of minor units (cents for EUR, yen for JPY, fils for KWD),
never a float. People type and read the major unit, with as many decimals as the currency's
exponent: 12.34 EUR, 1000 JPY, 1.234 KWD. The JSON API takes and gives minor units.
"""

from __future__ import annotations

import re
from decimal import Decimal

MINOR_UNITS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "BGN": 2,
    "TRY": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "BRL": 2,
    "MXN": 2,
    "ARS": 2,
    "CLP": 0,
    "COP": 2,
    "PEN": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "CNY": 2,
    "ZAR": 2,
    "NGN": 2,
    "KES": 2,
    "GHS": 2,
    "UAH": 2,
    "KZT": 2,
    "GEL": 2,
    "AMD": 2,
    "ISK": 0,
    "PHP": 2,
    "THB": 2,
    "VND": 0,
    "IDR": 2,
    "MYR": 2,
    "SGD": 2,
    "HKD": 2,
    "AED": 2,
    "ILS": 2,
    "KWD": 3,
    "BHD": 3,
    "TND": 3,
}


def is_supported(code: str) -> bool:
    return code in MINOR_UNITS


def minor_units(code: str) -> int:
    return MINOR_UNITS[code]


def money(amount: int | None, currency: str) -> str:
    """Minor units as a decimal figure in the currency's major unit: 1234 EUR -> "12.34"."""
    if amount is None:
        return ""
    exponent = MINOR_UNITS.get(currency, 0)
    sign = "-" if amount < 0 else ""
    if not exponent:
        return f"{sign}{abs(amount)}"
    major, minor = divmod(abs(amount), 10**exponent)
    return f"{sign}{major}.{minor:0{exponent}d}"


def signed_money(amount: int, currency: str) -> str:
    """A change, with its sign: "+1.50", "-0.20", "0.00"."""
    return ("+" if amount > 0 else "") + money(amount, currency)


def exponent(currency: str) -> int:
    """The currency's minor-unit exponent: 2 for EUR (cents), 0 for JPY, 3 for KWD."""
    return MINOR_UNITS[currency]


def step(currency: str) -> str:
    """The smallest amount a person can type in the currency: "0.01", "1", "0.001"."""
    places = MINOR_UNITS[currency]
    return f"0.{'0' * (places - 1)}1" if places else "1"


class AmountInvalid(ValueError):
    """A typed amount that is not money in the currency; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_AMOUNT = re.compile(r"([0-9]{1,18})(?:\.([0-9]+))?")


def parse_amount(text: str, currency: str) -> int:
    """What a person typed, in the currency's major unit, as minor units: "12.34" EUR -> 1234,
    "1000" JPY -> 1000, "1.5" KWD -> 1500. Surrounding spaces are ignored; anything else that is
    not ASCII digits with at most one point followed by at most the currency's exponent of
    digits is refused (AmountInvalid): a sign, an exponent ("1e3"), a thousands separator, other
    scripts' digits, a comma for the point, and "1.5" JPY or "1.2345" KWD, which would be
    rounded."""
    places = MINOR_UNITS[currency]
    match = _AMOUNT.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise AmountInvalid(
            "invalid_amount", "enter an amount in digits, with a point for decimals: 12.50"
        )
    fraction = match.group(2) or ""
    if len(fraction) > places:
        raise AmountInvalid(
            "too_many_decimals",
            f"{currency} amounts have {places} decimal places"
            if places
            else f"{currency} amounts have no decimal places",
        )
    return int(Decimal(f"{match.group(1)}.{fraction or '0'}").scaleb(places))
