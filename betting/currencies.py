"""ISO 4217 currencies the platform accepts, with their minor-unit exponent, and money shown in
a currency's major unit.

Money is always an integer count of minor units (cents for EUR, yen for JPY), never a float.
"""

from __future__ import annotations

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
