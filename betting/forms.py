"""Form fields the site and the backoffices share."""

from __future__ import annotations

from django import forms

from betting import currencies


class AmountField(forms.Field):
    """An amount of money typed in the currency's major unit ("12.50" EUR, "1000" JPY, "1.234"
    KWD), cleaned to minor units by ``currencies.parse_amount``: the one way a form reads money.
    The currency is the form's to give (``set_currency``) before it is bound or shown."""

    widget = forms.TextInput

    def __init__(self, *, min_minor: int = 1, max_minor: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.min_minor, self.max_minor = min_minor, max_minor
        self.currency: str | None = None

    def set_currency(self, currency: str) -> None:
        self.currency = currency
        self.widget.attrs.update(
            inputmode="decimal",
            autocomplete="off",
            **{"data-currency": currency, "data-exponent": currencies.exponent(currency)},
        )
        places = currencies.exponent(currency)
        self.help_text = (
            f"in {currency}, with up to {places} decimal places"
            if places
            else f"in whole {currency}, no decimals"
        )

    def to_python(self, value: object) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value)
        if len(text) > 40:
            raise forms.ValidationError("an amount has at most 40 characters", code="max_length")
        if self.currency is None:
            raise ValueError("AmountField needs its currency (set_currency) before cleaning")
        try:
            minor = currencies.parse_amount(text, self.currency)
        except currencies.AmountInvalid as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None
        if minor < self.min_minor:
            raise forms.ValidationError(
                f"at least {currencies.money(self.min_minor, self.currency)} {self.currency}",
                code="min_value",
            )
        if self.max_minor is not None and minor > self.max_minor:
            raise forms.ValidationError(
                f"at most {currencies.money(self.max_minor, self.currency)} {self.currency}",
                code="max_value",
            )
        return minor
