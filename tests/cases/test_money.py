"""Money: one rounding rule (cents, half up, away from zero), one reader of report amounts, one formatter."""

from decimal import Decimal

import pytest

from cases.money import babel_locale, format_money, is_currency, parse_amount, plain, quantize


@pytest.mark.parametrize(("amount", "rounded"), [
    ("2.675", "2.68"), ("2.665", "2.67"), ("2.674", "2.67"), ("-0.005", "-0.01"), ("-2.675", "-2.68"),
    ("1E+3", "1000.00"), ("7", "7.00"),
])
def test_amounts_round_to_cents_half_up_away_from_zero(amount, rounded):
    result = quantize(Decimal(amount))

    assert str(result) == rounded


@pytest.mark.parametrize(("text", "amount"), [
    ("1234.50", "1234.50"), ("-3.2", "-3.2"), ("  19.99\t", "19.99"), ("0", "0"),
])
def test_a_report_amount_is_read_exactly_as_written(text, amount):
    assert parse_amount(text) == Decimal(amount)
    assert str(parse_amount(text)) == amount


@pytest.mark.parametrize("text", ["", "abc", "12,50", "NaN", "sNaN", "Infinity", "-inf", "1_000", "1__0"])
def test_what_a_report_never_writes_is_not_an_amount_and_the_error_quotes_it(text):
    with pytest.raises(ValueError) as error:
        parse_amount(text)

    assert str(error.value) == f"{text!r} is not an amount"


def test_only_iso_4217_codes_in_capitals_are_currencies():
    assert is_currency("USD") and is_currency("EUR") and is_currency("JPY")
    assert not is_currency("usd")
    assert not is_currency("ZZZ")
    assert not is_currency("")


@pytest.mark.parametrize(("language_code", "locale"), [
    ("de", "de"), ("pt-br", "pt_BR"), ("en-gb", "en_GB"), (None, "en_US"), ("", "en_US"),
    ("xx-yy", "en_US"), ("not a language!", "en_US"),
])
def test_a_seller_language_gives_its_locale_and_anything_unknown_gives_us_english(language_code, locale):
    assert str(babel_locale(language_code)) == locale


@pytest.mark.parametrize(("amount", "currency", "language_code", "text"), [
    ("1234.5", "USD", "en-us", "$1,234.50"),
    ("1234.5", "USD", None, "$1,234.50"),
    ("1234.5", "EUR", "de", "1.234,50\xa0€"),
    ("-40", "GBP", "en-gb", "-£40.00"),
    ("1234", "JPY", "ja", "￥1,234"),
])
def test_money_is_shown_in_the_sellers_locale_with_the_rows_currency(amount, currency, language_code, text):
    assert format_money(Decimal(amount), currency, language_code) == text


@pytest.mark.parametrize(("amount", "text"), [
    ("1234.5", "1234.50"), ("1E+3", "1000.00"), ("-0.005", "-0.01"), ("0", "0.00"), ("12345678.995", "12345679.00"),
])
def test_an_export_writes_plain_cents_without_grouping_or_exponent(amount, text):
    assert plain(Decimal(amount)) == text
