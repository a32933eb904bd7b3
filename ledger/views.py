"""The seller's Identified page: what the marketplace probably owes, by when, and what it became. Read-only."""

import csv

from django import forms
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from accounts.access import tenant_view
from accounts.selectors import seller_account_list
from cases.export import safe_text
from cases.models import ReimbursementType
from cases.money import plain
from cases.widgets import Select

from .models import Opportunity, OpportunityState, ValueSource
from .selectors import opportunity_list, opportunity_state_counts

PAGE_SIZE = 50
CLAIM_TYPES = [(ReimbursementType.LOST_WAREHOUSE.value, ReimbursementType.LOST_WAREHOUSE.label),
               (ReimbursementType.DAMAGED_WAREHOUSE.value, ReimbursementType.DAMAGED_WAREHOUSE.label)]


class IdentifiedFilter(forms.Form):
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *OpportunityState.choices], widget=Select)
    type = forms.ChoiceField(required=False, choices=[("", "Any type"), *CLAIM_TYPES], widget=Select)
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Seller account",
                                     widget=Select)

    def __init__(self, data, *, seller_accounts):
        super().__init__(data)
        self.accounts = {account.pk: account for account in seller_accounts}
        self.fields["account"].choices = [("", "All seller accounts"),
                                          *((a.pk, a.label) for a in seller_accounts)]


def _filtered(request, tenant, today):
    seller_accounts = seller_account_list(tenant=tenant)
    form = IdentifiedFilter(request.GET, seller_accounts=seller_accounts)
    data = form.cleaned_data if form.is_valid() else {}
    account = form.accounts.get(data.get("account")) if data.get("account") else None
    filters = {"claim_type": data.get("type", ""), "seller_account": account}
    base = opportunity_list(tenant=tenant, today=today, **filters)
    state = data.get("state", "")
    return form, seller_accounts, filters, (base.in_state(state, today=today) if state else base)


def closes_text(opportunity: Opportunity, today) -> str:
    """`closes in 12 days`, `closes today`, `opens in 5 days`, `expired`; empty once the window no longer matters."""
    if opportunity.state == OpportunityState.EXPIRED:
        return "expired"
    if opportunity.state == OpportunityState.FUTURE:
        days = (opportunity.window_opens_on - today).days
        return f"opens in {days} day{'s' if days != 1 else ''}"
    if opportunity.state == OpportunityState.READY:
        days = (opportunity.window_closes_on - today).days
        return "closes today" if days == 0 else f"closes in {days} day{'s' if days != 1 else ''}"
    return ""


@tenant_view
def identified(request, tenant):
    today = timezone.localdate()
    form, seller_accounts, filters, opportunities = _filtered(request, tenant, today)
    counts = opportunity_state_counts(tenant=tenant, today=today, **filters)
    state = form.cleaned_data.get("state") if form.is_valid() else ""
    paginator = Paginator(opportunities, PAGE_SIZE)
    paginator.count = counts[state] if state else sum(counts.values())  # the counts just read: no second scan
    page = paginator.get_page(request.GET.get("page"))
    for opportunity in page:
        opportunity.closes_text = closes_text(opportunity, today)
        opportunity.state_label = OpportunityState(opportunity.state).label
    query = request.GET.copy()
    query.pop("page", None)
    state_links = []
    for state, label in OpportunityState.choices:
        linked = query.copy()
        linked["state"] = state
        state_links.append((state, label, counts[state], "?" + linked.urlencode()))
    return render(request, "ledger/identified.html", {
        "tenant": tenant, "nav": "identified", "seller_accounts": seller_accounts,
        "any_ready": any(account.is_ready for account in seller_accounts),
        "filter": form, "page": page, "state_links": state_links, "total": sum(counts.values()),
        "query": query.urlencode(),
        "export_url": reverse("ledger:export", args=[tenant.slug]) + ("?" + query.urlencode() if query else ""),
    })


HEADER = ["Seller account", "Type", "FNSKU", "SKU", "ASIN", "Product", "Reference ID", "Event date", "Units lost",
          "Units open", "Value per unit", "Amount", "Currency", "Value from", "State", "Window opens",
          "Window closes", "Case ID"]
VALUE_LABELS = dict(ValueSource.choices)
STATE_LABELS = dict(OpportunityState.choices)
TYPE_LABELS = dict(ReimbursementType.choices)


class _Line:
    def write(self, value: str) -> str:
        return value


EXPORT_CHUNK = 2000


@tenant_view
def export_identified(request, tenant):
    """Exactly the filtered rows, streamed. Their ids are read here, inside the tenant's scope; the
    response is consumed after the view has left it, so each chunk is read inside a scope of its own
    (row-level security shows nothing outside one), left before its lines are yielded."""
    today = timezone.localdate()
    _, _, _, opportunities = _filtered(request, tenant, today)
    ids = list(opportunities.values_list("pk", flat=True))
    writer = csv.writer(_Line())

    def lines():
        yield writer.writerow(HEADER)
        for start in range(0, len(ids), EXPORT_CHUNK):
            chunk = ids[start:start + EXPORT_CHUNK]
            with scope(tenant=tenant):
                by_pk = opportunities.in_bulk(chunk)
            for o in (by_pk[pk] for pk in chunk if pk in by_pk):
                yield writer.writerow([
                    safe_text(o.seller_account.label), TYPE_LABELS.get(o.claim_type, o.claim_type),
                    safe_text(o.fnsku), safe_text(o.sku), safe_text(o.asin), safe_text(o.title),
                    safe_text(o.reference_id), o.event_date.isoformat(), o.units_lost, o.units_open,
                    "" if o.value_per_unit is None else plain(o.value_per_unit),
                    "" if o.amount is None else plain(o.amount), o.currency, VALUE_LABELS[o.value_source],
                    STATE_LABELS[o.state], o.window_opens_on.isoformat(), o.window_closes_on.isoformat(),
                    safe_text(o.case.marketplace_case_id) if o.case_id else "",
                ])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="identified-{tenant.slug}-{today.isoformat()}.csv"'
    return response
