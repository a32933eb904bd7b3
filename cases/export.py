"""CSV export of the filtered cases, streamed in keyset chunks so memory stays flat at any size."""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django_scopes import scope

from accounts.models import SellerAccount, Tenant

from .models import Case
from .money import plain
from .pagination import Sort, keyset_chunks

HEADER = [
    "Case ID", "Seller account", "Type", "Status", "Units claimed", "Claimed amount", "Recovered amount",
    "Currency", "Date filed", "Last update",
    "SKU", "ASIN", "FNSKU", "Product", "Order ID", "Shipment ID",
    "Units reimbursed cash", "Units reimbursed inventory", "Last reimbursed on",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _iso(value) -> str:
    return value.isoformat() if value else ""


def case_row(case: Case, account_labels: dict[int, str]) -> list[str]:
    text = [
        case.marketplace_case_id, account_labels[case.seller_account_id], case.get_reimbursement_type_display(),
        case.get_status_display(),
    ]
    numbers = [
        "" if case.units_claimed is None else str(case.units_claimed),
        plain(case.claimed_amount), plain(case.recovered_amount),
    ]
    dates = [case.currency, _iso(case.date_filed), _iso(timezone.localdate(case.updated_at))]
    products = [case.sku, case.asin, case.fnsku, case.product_title, case.order_id, case.shipment_id]
    reimbursed = [str(case.units_reimbursed_cash), str(case.units_reimbursed_inventory),
                  _iso(case.last_reimbursed_on)]
    return [safe_text(v) for v in text] + numbers + [safe_text(v) for v in dates + products] + reimbursed


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def csv_lines(*, tenant: Tenant, cases: QuerySet[Case], sort: Sort,
              seller_accounts: list[SellerAccount]) -> Iterator[str]:
    """The header, then one line per case.

    The response is consumed after the view has returned and left the tenant's scope, so each chunk
    is read inside a scope of its own; the scope is left before yielding, so it never leaks to the server.
    """
    writer = csv.writer(_Line())
    labels = {account.pk: account.label for account in seller_accounts}
    yield writer.writerow(HEADER)
    chunks = keyset_chunks(cases.select_related(None).defer("internal_note", "seller_note"), sort=sort)
    while True:
        with scope(tenant=tenant):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield "".join(writer.writerow(case_row(case, labels)) for case in chunk)


def export_filename(*, tenant: Tenant) -> str:
    return f"cases-{tenant.slug}-{timezone.localdate().isoformat()}.csv"
