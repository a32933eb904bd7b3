from django import template
from django.utils.translation import get_language

from cases.money import format_money

register = template.Library()


@register.simple_tag
def money(amount, currency):
    """`{% money case.claimed_amount case.currency %}` in the seller's locale."""
    if amount is None:
        return ""
    return format_money(amount, currency, get_language())
