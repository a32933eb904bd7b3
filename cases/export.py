"""CSV export of the filtered cases, streamed in keyset chunks so memory stays flat at any size."""

import csv
from collections.abc import Callable, Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django_scopes import scope

from accounts.models import SellerAccount, Tenant

from .models import Case, CaseStatus, ReimbursementType
from .money import plain
from .pagination import Sort, key_width, keyset_chunks

HEADER = [
    "Case ID", "Seller account", "Type", "Status", "Units claimed", "Claimed amount", "Recovered amount",
    "Currency", "Date filed", "Last update",
    "SKU", "ASIN", "FNSKU", "Product", "Order ID", "Shipment ID",
    "Units reimbursed cash", "Units reimbursed inventory", "Last reimbursed on",
    "Units reimbursed (cash)", "Units returned to inventory", "Returned to inventory value", "Last reimbursed",
    "Closed on",
]
"""The first 19 columns keep their names and order (spreadsheets and scripts read them by position); new
columns are appended. The three before `Closed on` repeat earlier ones under the names the pages use."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BUSY_RETRY_AFTER_SECONDS = 60
"""What the answer to an export refused while another export of the organisation runs asks to wait."""


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _iso(value) -> str:
    return value.isoformat() if value else ""


FIELDS = [
    "marketplace_case_id", "seller_account_id", "reimbursement_type", "status", "units_claimed",
    "claimed_amount", "recovered_amount", "currency", "date_filed", "last_event_on",
    "sku", "asin", "fnsku", "product_title", "order_id", "shipment_id",
    "units_reimbursed_cash", "units_reimbursed_inventory", "last_reimbursed_on", "inventory_value", "closed_on",
]
"""Read as plain tuples, not model instances: a million rows of model instances cost minutes."""

TYPE_LABELS = dict(ReimbursementType.choices)
STATUS_LABELS = dict(CaseStatus.choices)


def case_row(values: tuple, account_labels: dict[int, str]) -> list[str]:
    (case_id, account_id, case_type, status, units_claimed, claimed, recovered, currency, filed, updated,
     sku, asin, fnsku, title, order_id, shipment_id, units_cash, units_inventory, last_reimbursed,
     inventory_value, closed_on) = values
    text = [case_id, account_labels[account_id], TYPE_LABELS.get(case_type, case_type),
            STATUS_LABELS.get(status, status)]
    numbers = ["" if units_claimed is None else str(units_claimed), plain(claimed), plain(recovered)]
    rest = [currency, _iso(filed), _iso(updated), sku, asin, fnsku, title, order_id, shipment_id]
    reimbursed = [str(units_cash), str(units_inventory), _iso(last_reimbursed)]
    appended = [str(units_cash), str(units_inventory), plain(inventory_value), _iso(last_reimbursed), _iso(closed_on)]
    return [safe_text(v) for v in text] + numbers + [safe_text(v) for v in rest] + reimbursed + appended


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
    chunks = keyset_chunks(cases.select_related(None), sort=sort, fields=FIELDS)
    width = key_width(sort)
    while True:
        with scope(tenant=tenant):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield "".join(writer.writerow(case_row(row[width:], labels)) for row in chunk)


def export_filename(*, tenant: Tenant) -> str:
    return f"cases-{tenant.slug}-{timezone.localdate().isoformat()}.csv"


class ClosingLines:
    """The export's lines, calling `on_close` once when the server closes the response: after the
    last line, on a broken download, or before the first line if the client left early (a generator
    that never started would skip its own `finally`)."""

    def __init__(self, lines: Iterator[str], *, on_close: Callable[[], None]):
        self.lines, self.on_close, self.closed = lines, on_close, False

    def __iter__(self) -> Iterator[str]:
        return self.lines

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            close = getattr(self.lines, "close", None)
            if close:
                close()
        finally:
            self.on_close()
