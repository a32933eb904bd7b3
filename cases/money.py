"""Money is a Decimal with its currency beside it. One rounding rule, one formatter, no floats."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, list_currencies

CENT = Decimal("0.01")
ISO_CURRENCIES = frozenset(list_currencies())


def quantize(amount: Decimal) -> Decimal:
    """Round to cents, half up, the way marketplaces report amounts."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    """Read an amount as written in a report (`1234.50`, `-3.2`); raise ValueError otherwise."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite() or "_" in text:  # Decimal reads Python's `1_000`; a report never writes it
        raise ValueError(f"{text!r} is not an amount")
    return value


def is_currency(code: str) -> bool:
    return code in ISO_CURRENCIES


def _babel_locale(language_code: str | None) -> Locale:
    try:
        return Locale.parse((language_code or "en-us").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en_US")


babel_locale = lru_cache(maxsize=64)(_babel_locale)


def _format_money(amount: Decimal, currency: str, language_code: str | None = None) -> str:
    """`$1,234.50` for en-us, `1.234,50 €` for de: the seller's locale, the row's currency."""
    return format_currency(amount, currency, locale=babel_locale(language_code))


format_money = lru_cache(maxsize=16384)(_format_money)
"""Cached by value (babel's formatting is the dashboard's largest cost), so never stale. Wrapped rather
than decorated so that mutation testing (`make mutation`) reaches the function."""


def plain(amount: Decimal) -> str:
    """`1234.50`: for exports, whatever the locale."""
    return f"{quantize(amount):f}"
