from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.access import tenant_view
from accounts.selectors import seller_account_list

from ledger.selectors import funnel_summary

from .chart import bar_chart
from .selectors import currency_summary_list, seller_account_from_query


@tenant_view
def dashboard(request, tenant):
    seller_accounts = seller_account_list(tenant=tenant)
    selected = seller_account_from_query(value=request.GET.get("account"), seller_accounts=seller_accounts)
    # Rollup months are UTC months, so "this month" is the UTC one too.
    summaries = currency_summary_list(tenant=tenant, seller_account=selected, today=timezone.now().date())
    funnel = funnel_summary(tenant=tenant, seller_account=selected, today=timezone.localdate())
    panels = [
        (summary, bar_chart(points=[(m.month, m.recovered) for m in summary.months])) for summary in summaries
    ]
    return render(request, "dashboard/index.html", {
        "tenant": tenant,
        "nav": "dashboard",
        "seller_accounts": seller_accounts,
        "selected_account": selected,
        "panels": panels,
        "funnels": funnel.funnels,
        "unvalued_count": funnel.unvalued,
        "identified_url": reverse("ledger:identified", args=[tenant.slug]),
    })
