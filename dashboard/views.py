from django.shortcuts import render
from django.utils import timezone

from accounts.access import tenant_view
from accounts.selectors import seller_account_list

from .chart import bar_chart
from .selectors import currency_summary_list, seller_account_from_query


@tenant_view
def dashboard(request, tenant):
    seller_accounts = seller_account_list(tenant=tenant)
    selected = seller_account_from_query(value=request.GET.get("account"), seller_accounts=seller_accounts)
    # Rollup months are UTC months, so "this month" is the UTC one too.
    summaries = currency_summary_list(tenant=tenant, seller_account=selected, today=timezone.now().date())
    panels = [
        (summary, bar_chart(points=[(m.month, m.recovered) for m in summary.months])) for summary in summaries
    ]
    return render(request, "dashboard/index.html", {
        "tenant": tenant,
        "nav": "dashboard",
        "seller_accounts": seller_accounts,
        "selected_account": selected,
        "panels": panels,
        "payer": _payer(selected, seller_accounts),
    })


def _payer(selected, seller_accounts) -> str:
    """Who pays the reimbursements on the page: the marketplace of the accounts shown, if there is one."""
    marketplaces = {account.get_marketplace_display() for account in ([selected] if selected else seller_accounts)}
    return marketplaces.pop() if len(marketplaces) == 1 else "the marketplace"
