from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from accounts.access import tenant_view
from accounts.selectors import seller_account_list

from ledger.selectors import funnel_summary

from .chart import bar_chart
from .forms import PeriodForm
from .panels import chart_html, products_html
from .selectors import currency_summary_list, period_recovery_list, seller_account_from_query, top_product_list


@tenant_view
def dashboard(request, tenant):
    seller_accounts = seller_account_list(tenant=tenant)
    selected = seller_account_from_query(value=request.GET.get("account"), seller_accounts=seller_accounts)
    # Rollup months and days are UTC ones, so "this month" and "today" are the UTC ones too.
    today = timezone.now().date()
    summaries = currency_summary_list(tenant=tenant, seller_account=selected, today=today)
    products = top_product_list(tenant=tenant, currencies=[summary.currency for summary in summaries])
    funnel = funnel_summary(tenant=tenant, seller_account=selected, today=timezone.localdate())
    language, cases_url = get_language(), reverse("cases:overall", args=[tenant.slug])
    panels = [
        (
            summary,
            chart_html(bar_chart(points=[(m.month, m.recovered) for m in summary.months]), currency=summary.currency,
                       months=summary.months, language=language),
            products_html(products[summary.currency], currency=summary.currency, cases_url=cases_url,
                          account_selected=selected is not None, language=language)
            if summary.currency in products else "",
        )
        for summary in summaries
    ]
    period_form = PeriodForm(request.GET)
    period = period_form.period(today=today)
    return render(request, "dashboard/index.html", {
        "tenant": tenant,
        "nav": "dashboard",
        "seller_accounts": seller_accounts,
        "selected_account": selected,
        "panels": panels,
        "funnels": funnel.funnels,
        "unvalued_count": funnel.unvalued,
        "identified_url": reverse("ledger:identified", args=[tenant.slug]),
        "period_form": period_form,
        "period": period,
        "period_figures": period_recovery_list(tenant=tenant, seller_account=selected, start=period[0],
                                               end=period[1]) if period else [],
        "payer": _payer(selected, seller_accounts),
    })


def _payer(selected, seller_accounts) -> str:
    """Who pays the reimbursements on the page: the marketplace of the accounts shown, if there is one."""
    marketplaces = {account.get_marketplace_display() for account in ([selected] if selected else seller_accounts)}
    return marketplaces.pop() if len(marketplaces) == 1 else "the marketplace"
