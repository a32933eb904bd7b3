"""The seller's case tables. Rows arrive sorted and paged by the keyset query (`cases.pagination`).

django-tables2 gives the columns, their headers, attributes and which one the rows are sorted by.
The HTML is written in Python (`KeysetTable.as_html`), the body by calling each column's
`render_<name>(record)` directly: django-tables2's own per-cell path (a signature inspection and an
attrs build per cell) cost about a millisecond a row, and its template's header a tenth of a page.
`tests/cases/test_tables.py` pins the rows.
"""

import datetime as dt
import html
from collections.abc import Callable
from functools import lru_cache

import django_tables2 as tables
from django.http import QueryDict
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language

from .models import CaseStatus, ReimbursementType
from .money import format_money

SORT_COLUMNS = {
    "case_id": "marketplace_case_id",
    "type": "reimbursement_type",
    "product": "sku",
    "status": "status",
    "claimed": "claimed_amount",
    "recovered": "recovered_amount",
    "date_filed": "date_filed",
    "last_update": "last_event_on",
}
"""Sortable column of Overall Cases → model field. Each has a `(tenant, [currency,] field, id)` index (see
`Case.Meta.indexes`)."""

REIMBURSED_SORT_COLUMNS = {
    **{alias: column for alias, column in SORT_COLUMNS.items() if alias not in ("date_filed", "last_update")},
    "last_reimbursed": "last_reimbursed_on",
}
"""Reimbursed Cases sorts by the columns it shows."""

SORT_PREFIXES = {"claimed": ("currency",), "recovered": ("currency",)}
"""Amounts sort by currency first, then amount: two currencies are never interleaved."""

DEFAULT_SORT = "-date_filed"
STATUS_LABELS = dict(CaseStatus.choices)
TYPE_LABELS = dict(ReimbursementType.choices)
"""A value's label, looked up once per cell rather than through the model's `get_FOO_display`."""
_PK = 2_147_483_647
"""A case id no URL pattern mistakes for anything else: the case link is reversed once per page with it,
then each row's id takes its place."""
NUMBER = {"td": {"class": "num"}, "th": {"class": "num"}}


def short_date(value) -> str:
    """A date in the seller's format; a timestamp shows as its local date."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    return date_filter(value, "SHORT_DATE_FORMAT")


DATE_NUMBERS = {
    "d": lambda day: f"{day.day:02d}", "j": lambda day: str(day.day),
    "m": lambda day: f"{day.month:02d}", "n": lambda day: str(day.month),
    "Y": lambda day: f"{day.year:04d}", "y": lambda day: f"{day.year % 100:02d}",
}
"""The letters of Django's date formats that write a number, as Django writes them."""


@lru_cache(maxsize=64)
def date_writer(date_format: str) -> Callable[[dt.date], str] | None:
    """A function writing a date in `date_format`, as the `date` filter would, when the format has only
    day, month and year numbers and other characters (every locale's short date); else None. The filter
    reads the format's letters one by one for every date: a page sorted by amount has a hundred dates."""
    pieces: list[str | Callable[[dt.date], str]] = []
    escaped = False
    for char in date_format:
        if escaped or not char.isalpha() and char != "\\":
            pieces.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in DATE_NUMBERS:
            pieces.append(DATE_NUMBERS[char])
        else:
            return None
    return lambda day: "".join(piece if isinstance(piece, str) else piece(day) for piece in pieces)


def text(value) -> str:
    """`value` escaped exactly as `django.utils.html.escape` escapes it, without that function's wrapper for
    lazy strings: on the 400 cells of a page the wrapper cost more than the escaping."""
    return html.escape(str(value))


def cell_html(cell) -> str:
    """A cell as the template engine writes `{{ cell }}`: safe HTML as it is, anything else localized and
    escaped."""
    if isinstance(cell, SafeData):
        return cell
    if isinstance(cell, str):
        return text(cell)
    return conditional_escape(formats.localize(cell))


class KeysetTable(tables.Table):
    """Shows which column the rows are sorted by, without sorting them again: the query already did."""

    def _set_order_by(self, value):
        aliases = value.split(",") if isinstance(value, str) else (value or ())
        valid = [a for a in aliases if a.lstrip("-") in self.columns and self.columns[a.lstrip("-")].orderable]
        self._order_by = tables.utils.OrderByTuple(valid)

    order_by = property(tables.Table.order_by.fget, _set_order_by)

    def __init__(self, rows, *, tenant, sort: str, **kwargs):
        self.tenant = tenant
        self.records = rows
        self.language = get_language()
        self._dates = {}
        self._account_labels = {}
        self._date_writer = date_writer(formats.get_format("SHORT_DATE_FORMAT")) or short_date
        self._detail_url = reverse("cases:detail", args=[tenant.slug, _PK]).rsplit(str(_PK), 1)
        super().__init__(rows, order_by=sort, **kwargs)

    def cells(self) -> list[list[tuple[str, str]]]:
        """Per row, per column: (td attributes, cell html). Each cell carries its column's name and
        header: on a phone the rows stack and each cell shows its header (static/css/app.css)."""
        columns = [
            (format_html('{} data-col="{}" data-label="{}"', mark_safe(column.attrs["td"].as_html()),
                         column.name, column.header),
             getattr(self, f"render_{column.name}"))
            for column in self.columns
        ]
        return [[(attrs, render(record)) for attrs, render in columns] for record in self.records]

    def head_html(self, query: QueryDict) -> str:
        """The header row: each sortable column links to the list sorted by it (the filters kept, back to
        the first page), the column the rows are sorted by says so (`aria-sort`, an arrow)."""
        cells = []
        for column in self.columns:
            label = conditional_escape(column.header)
            if column.orderable:
                params = query.copy()
                params.pop("cursor", None)
                params[self.prefixed_order_by_field] = str(column.order_by_alias.next)
                label = f'<a href="?{conditional_escape(params.urlencode())}">{label}</a>'
            sorted_by = ""
            if column.is_ordered:
                descending = column.order_by_alias.is_descending
                sorted_by = f' aria-sort="{"descending" if descending else "ascending"}"'
                label += " ▼" if descending else " ▲"
            cells.append(f'\n    <th {column.attrs["th"].as_html()}{sorted_by}>\n      {label}\n    </th>')
        return f'<thead>\n  <tr>{"".join(cells)}\n  </tr>\n</thead>'

    def body_rows(self) -> str:
        """The body's rows as one piece of HTML (`<td ATTRS>CELL</td>`, each cell escaped and localized
        like `{{ cell }}`): a template loop over 400 cells cost a tenth of a list page's Python time."""
        rows = []
        for row in self.cells():
            tds = "".join(f"<td {attrs}>{cell_html(cell)}</td>" for attrs, cell in row)
            rows.append(f"\n  <tr>{tds}</tr>\n")
        return "".join(rows)

    def as_html(self, query: QueryDict) -> SafeString:
        """The table, written in Python rather than by django-tables2's template: its header alone (a
        `querystring_replace` tag and a dozen lookups per column) cost a tenth of a list page."""
        if self.records:
            body = self.body_rows()
        else:
            body = f'\n  <tr><td colspan="{len(self.columns)}">{conditional_escape(self.empty_text)}</td></tr>\n'
        return mark_safe(f'<div class="table-container">\n<table {self.attrs.as_html()}>\n'
                         f"{self.head_html(query)}\n<tbody>\n{body}\n</tbody>\n</table>\n</div>")

    def date_cell(self, value) -> str:
        """`short_date`, each date formatted once per page: the rows of a page share their dates."""
        if isinstance(value, dt.datetime):
            value = timezone.localdate(value)
        if value not in self._dates:
            self._dates[value] = short_date(value) if value is None else self._date_writer(value)
        return self._dates[value]

    case_id = tables.Column("Case ID", accessor="marketplace_case_id", empty_values=())
    type = tables.Column("Type", accessor="reimbursement_type", empty_values=())
    product = tables.Column("Product", accessor="sku", order_by=("sku",), empty_values=())
    status = tables.Column("Status", empty_values=())
    claimed = tables.Column("Claimed", accessor="claimed_amount", attrs=NUMBER, empty_values=())
    recovered = tables.Column("Recovered", accessor="recovered_amount", attrs=NUMBER, empty_values=())

    def detail_url(self, pk: int) -> str:
        """The case page's URL, as `reverse` would write it (one `reverse` per page, not per row)."""
        before, after = self._detail_url
        return f"{before}{pk}{after}"

    def render_case_id(self, record):
        account = self._account_labels.get(record.seller_account_id)
        if account is None:
            account = self._account_labels[record.seller_account_id] = text(record.seller_account.label)
        return mark_safe(f'<a href="{text(self.detail_url(record.pk))}">{text(record.marketplace_case_id)}</a><br>'
                         f'<span class="muted">{account}</span>')

    def render_type(self, record):
        return TYPE_LABELS.get(record.reimbursement_type, record.reimbursement_type)

    def render_product(self, record):
        codes = " · ".join(code for code in (record.sku, record.asin) if code)
        return mark_safe(f'{text(record.product_title or "—")}<br><span class="muted">{text(codes)}</span>')

    def render_status(self, record):
        label = STATUS_LABELS.get(record.status, record.status)
        return mark_safe(f'<span class="status status-{text(record.status)}">{text(label)}</span>')

    def render_claimed(self, record):
        return format_money(record.claimed_amount, record.currency, self.language)

    def render_recovered(self, record):
        return format_money(record.recovered_amount, record.currency, self.language)

    class Meta:
        order_by_field = "sort"
        empty_text = "No cases match."
        attrs = {"class": "cases"}


class OverallCaseTable(KeysetTable):
    sort_columns = SORT_COLUMNS
    default_sort = DEFAULT_SORT

    date_filed = tables.Column("Date filed", empty_values=())
    last_update = tables.Column("Last update", accessor="last_event_on", empty_values=())

    def render_date_filed(self, record):
        return self.date_cell(record.date_filed)

    def render_last_update(self, record):
        return self.date_cell(record.last_event_on)

    class Meta(KeysetTable.Meta):
        pass


class ReimbursedCaseTable(KeysetTable):
    sort_columns = REIMBURSED_SORT_COLUMNS
    default_sort = "-last_reimbursed"

    units_cash = tables.Column("Units reimbursed (cash)", accessor="units_reimbursed_cash",
                               orderable=False, attrs=NUMBER, empty_values=())
    units_inventory = tables.Column("Units reimbursed (inventory)", accessor="units_reimbursed_inventory",
                                    orderable=False, attrs=NUMBER, empty_values=())
    last_reimbursed = tables.Column("Last reimbursed", accessor="last_reimbursed_on", empty_values=())

    def render_units_cash(self, record):
        return record.units_reimbursed_cash

    def render_units_inventory(self, record):
        return record.units_reimbursed_inventory

    def render_last_reimbursed(self, record):
        return self.date_cell(record.last_reimbursed_on)

    class Meta(KeysetTable.Meta):
        pass
