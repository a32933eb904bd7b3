"""The ledger's part of the daily digest: money the marketplace probably owes whose claim window closes
within a week. Missed deadlines are what sellers of reimbursement services complain about most."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, F, Sum
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Tenant
from cases.digest import DigestNote
from cases.money import plain

from .models import Opportunity, OpportunityState

CLOSING_WITHIN_DAYS = 7
LISTED = 10
"""The digest names the first ten, soonest window first; the Identified page lists them all."""


def closing_note(*, tenant: Tenant, day: dt.date) -> DigestNote | None:
    """The tenant's opportunities ready to claim whose window closes within a week of the morning the digest
    of `day` goes out (the next day), soonest first, with their totals per currency; None when there are none."""
    today = day + dt.timedelta(days=1)
    closing = (
        Opportunity.objects.filter(tenant=tenant)
        .in_state(OpportunityState.READY, today=today)
        .filter(window_closes_on__lte=today + dt.timedelta(days=CLOSING_WITHIN_DAYS))
    )
    totals = list(closing.values("currency").annotate(count=Count("id"), total=Sum("amount")).order_by("currency"))
    count = sum(row["count"] for row in totals)
    if not count:
        return None
    listed = closing.select_related("seller_account").order_by(
        "window_closes_on", F("amount").desc(nulls_last=True), "id")[:LISTED]
    text = render_to_string("ledger/email/closing.txt", {
        "count": count,
        "days": CLOSING_WITHIN_DAYS,
        "totals": [(plain(row["total"]), row["currency"], row["count"]) for row in totals if row["currency"]],
        "unvalued": sum(row["count"] for row in totals if not row["currency"]),
        "lines": [_line(opportunity, today) for opportunity in listed],
        "more": count - LISTED if count > LISTED else 0,
        "url": settings.SITE_URL + reverse("ledger:identified", args=[tenant.slug]) + "?state=ready",
    })
    subject = f"{count} claim window{'s' if count != 1 else ''} close{'' if count != 1 else 's'} within a week"
    return DigestNote(subject=subject, text=text)


def _line(opportunity: Opportunity, today: dt.date) -> str:
    days = (opportunity.window_closes_on - today).days
    closes = "closes today" if days == 0 else f"closes in {days} day{'s' if days != 1 else ''}"
    value = f"{plain(opportunity.amount)} {opportunity.currency}" if opportunity.currency else "not valued yet"
    product = " · ".join(code for code in (opportunity.sku, opportunity.fnsku) if code)
    units = f"{opportunity.units_open} unit{'s' if opportunity.units_open != 1 else ''}"
    return (f"{product} ({opportunity.seller_account.label}): {units}, {value}, "
            f"{closes} ({opportunity.window_closes_on.isoformat()})")
