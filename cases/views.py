"""The seller's case pages. Read-only; `tenant_view` resolves the tenant and runs each view in its scope."""

from dataclasses import replace

from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.access import tenant_view
from accounts.selectors import seller_account_list

from . import selectors
from .export import BUSY_RETRY_AFTER_SECONDS, ClosingLines, csv_lines, export_filename
from .filters import CaseFilter
from .locks import tenant_export_lock_release, tenant_export_lock_try
from .models import REIMBURSED_STATUSES, CaseStatus
from .pagination import LAST, keyset_page, sort_parse
from .tables import SORT_PREFIXES, OverallCaseTable, ReimbursedCaseTable


def _query(request, **changes) -> str:
    """The current query string with `changes` applied; a None value drops the parameter."""
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


def _export_url(request, tenant, *, reimbursed_only: bool) -> str:
    name = "cases:reimbursed_export" if reimbursed_only else "cases:export"
    return reverse(name, args=[tenant.slug]) + _query(request, cursor=None)


def _sort(request, table_class):
    return sort_parse(request.GET.get("sort"), columns=table_class.sort_columns, default=table_class.default_sort,
                      prefixes=SORT_PREFIXES)


def _pager_urls(request, page) -> dict[str, str | None]:
    def to(cursor):
        return _query(request, cursor=cursor) if cursor else None

    return {
        "first_url": _query(request, cursor=None),
        "last_url": _query(request, cursor=LAST),
        "next_url": to(page.next_cursor) if page else None,
        "previous_url": to(page.previous_cursor) if page else None,
    }


def _result_figures(filterset, buckets, *, reimbursed_only: bool):
    """(count, capped, totals per currency): exact from the rollup when only rollup dimensions are
    filtered, else counted and added up over at most `COUNT_CAP` cases (past it: no totals)."""
    if filterset.search_overflow:
        return selectors.COUNT_CAP, True, []
    if not filterset.only_dimensions:
        count, capped, totals = selectors.case_totals_capped(cases=filterset.qs, cap=selectors.COUNT_CAP)
        if reimbursed_only:
            totals = [replace(t, claimed=None) for t in totals]
        return count, capped, totals
    data = filterset.form.cleaned_data
    account = data.get("seller_account")
    dimensions = {
        "statuses": [data["status"]] if data.get("status") else tuple(CaseStatus),
        "types": [data["type"]] if data.get("type") else None,
        "seller_account_ids": [int(account)] if account else None,
        "reimbursed_only": reimbursed_only,
    }
    return (selectors.case_count_in_buckets(buckets, **dimensions), False,
            selectors.case_totals_in_buckets(buckets, **dimensions))


def _case_list(request, tenant, *, reimbursed_only: bool):
    nav = "reimbursed" if reimbursed_only else "overall"
    table_class = ReimbursedCaseTable if reimbursed_only else OverallCaseTable
    seller_accounts = seller_account_list(tenant=tenant)
    context = {"tenant": tenant, "nav": nav, "seller_accounts": seller_accounts,
               "any_ready": any(account.is_ready for account in seller_accounts)}
    if not context["any_ready"]:
        return render(request, f"cases/{nav}.html", context)

    cases = selectors.case_list(tenant=tenant, reimbursed_only=reimbursed_only)
    filterset = CaseFilter(request.GET, cases, seller_accounts=seller_accounts, tenant=tenant)
    sort = _sort(request, table_class)
    buckets = selectors.case_bucket_list(tenant=tenant)
    status_counts = selectors.case_status_counts(buckets, statuses=tuple(CaseStatus), reimbursed_only=reimbursed_only)
    if filterset.is_valid():
        cases = filterset.qs  # runs the search, which says whether it is broad
        count, capped, totals = _result_figures(filterset, buckets, reimbursed_only=reimbursed_only)
        if not count and not capped:
            # The rollup (or the capped count) knows no case matches: walking the sort's index to find
            # none would read every case of the tenant.
            cases = cases.none()
        page = keyset_page(cases, sort=sort, token=request.GET.get("cursor"))
    else:
        page, count, capped, totals = None, 0, False, []
    table = table_class(page.rows if page else [], tenant=tenant, sort=sort.param)
    context.update(
        filter=filterset, sort=sort.param, page=page, result_count=count, result_count_capped=capped,
        totals=totals, amount_sort=bool(sort.prefix), reimbursed_only=reimbursed_only,
        status_counts=[(status, n, _query(request, status=status.value, cursor=None)) for status, n in status_counts
                       if n or not reimbursed_only or status in REIMBURSED_STATUSES],
        table=table,
        table_html=table.as_html(request.GET),
        **_pager_urls(request, page),
        export_url=None if page is None else _export_url(request, tenant, reimbursed_only=reimbursed_only),
        search_missed=bool(page is not None and not page.rows and filterset.form.cleaned_data.get("q")),
    )
    return render(request, f"cases/{nav}.html", context)


@tenant_view
def overall_cases(request, tenant):
    return _case_list(request, tenant, reimbursed_only=False)


@tenant_view
def reimbursed_cases(request, tenant):
    return _case_list(request, tenant, reimbursed_only=True)


def _filter_errors(filterset) -> str:
    """The invalid filters, one per line, named by their label: the export's answer to a hand-made URL."""
    lines = [
        f"{filterset.form.fields[name].label}: {' '.join(errors)}" for name, errors in filterset.errors.items()
    ]
    return "Not exported: some filters are not valid.\n" + "\n".join(lines) + "\n"


@tenant_view
def export_cases(request, tenant):
    return _export(request, tenant, reimbursed_only=False)


@tenant_view
def export_reimbursed_cases(request, tenant):
    return _export(request, tenant, reimbursed_only=True)


def _export(request, tenant, *, reimbursed_only: bool):
    """The CSV export, one at a time per organisation: a second one while the first streams is
    answered 429 with a page saying so, so that one tenant's exports cannot take every server thread
    and database connection from the others. Invalid filters are refused with 400 naming each one."""
    seller_accounts = seller_account_list(tenant=tenant)
    cases = selectors.case_list(tenant=tenant, reimbursed_only=reimbursed_only)
    filterset = CaseFilter(request.GET, cases, seller_accounts=seller_accounts, tenant=tenant)
    if not filterset.is_valid():
        return HttpResponseBadRequest(_filter_errors(filterset), content_type="text/plain; charset=utf-8")
    if not tenant_export_lock_try(tenant_id=tenant.pk):
        response = render(request, "cases/export_busy.html",
                          {"tenant": tenant, "nav": "reimbursed" if reimbursed_only else "overall"}, status=429)
        response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
        return response
    try:
        sort = _sort(request, ReimbursedCaseTable if reimbursed_only else OverallCaseTable)
        lines = csv_lines(tenant=tenant, cases=filterset.qs, sort=sort, seller_accounts=seller_accounts)
    except BaseException:
        tenant_export_lock_release(tenant_id=tenant.pk)
        raise
    response = StreamingHttpResponse(
        ClosingLines(lines, on_close=lambda: tenant_export_lock_release(tenant_id=tenant.pk)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename(tenant=tenant)}"'
    return response


@tenant_view
def case_detail(request, tenant, case_pk):
    case = selectors.case_get(tenant=tenant, pk=case_pk)
    return render(request, "cases/detail.html", {
        "tenant": tenant, "nav": "overall", "case": case,
        "records": selectors.case_record_list(tenant=tenant, case=case),
        "events": selectors.case_event_list(tenant=tenant, case=case),
    })
