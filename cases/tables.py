"""The seller's case tables. Rows arrive sorted and paged by the keyset query (`cases.pagination`)."""

import django_tables2 as tables
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language

from .money import format_money

SORT_COLUMNS = {
    "case_id": "marketplace_case_id",
    "type": "reimbursement_type",
    "product": "sku",
    "status": "status",
    "claimed": "claimed_amount",
    "recovered": "recovered_amount",
    "date_filed": "date_filed",
    "last_update": "updated_at",
}
"""Sortable column → model field. Each field has a `(tenant, field, id)` index (see `Case.Meta.indexes`)."""

DEFAULT_SORT = "-date_filed"


class MoneyColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, attrs={"td": {"class": "num"}, "th": {"class": "num"}}, **kwargs)

    def render(self, value, record):
        return format_money(value, record.currency, get_language())


class KeysetTable(tables.Table):
    """Shows which column the rows are sorted by, without sorting them again: the query already did."""

    def _set_order_by(self, value):
        aliases = value.split(",") if isinstance(value, str) else (value or ())
        valid = [a for a in aliases if a.lstrip("-") in self.columns and self.columns[a.lstrip("-")].orderable]
        self._order_by = tables.utils.OrderByTuple(valid)

    order_by = property(tables.Table.order_by.fget, _set_order_by)

    def __init__(self, rows, *, tenant, sort: str, **kwargs):
        self.tenant = tenant
        super().__init__(rows, order_by=sort, **kwargs)

    case_id = tables.Column("Case ID", accessor="marketplace_case_id")
    type = tables.Column("Type", accessor="reimbursement_type")
    product = tables.Column("Product", accessor="sku", order_by=("sku",), empty_values=())
    status = tables.Column("Status")

    def render_case_id(self, value, record):
        url = reverse("cases:detail", args=[self.tenant.slug, record.pk])
        return format_html('<a href="{}">{}</a><br><span class="muted">{}</span>',
                           url, value, record.seller_account.label)

    def render_type(self, record):
        return record.get_reimbursement_type_display()

    def render_product(self, record):
        codes = " · ".join(code for code in (record.sku, record.asin) if code)
        return format_html('{}<br><span class="muted">{}</span>', record.product_title or "—", codes)

    def render_status(self, record):
        return format_html('<span class="status status-{}">{}</span>', record.status, record.get_status_display())

    class Meta:
        template_name = "cases/table.html"
        order_by_field = "sort"
        empty_text = "No cases match."
        attrs = {"class": "cases"}


class OverallCaseTable(KeysetTable):
    claimed = MoneyColumn("Claimed", accessor="claimed_amount")
    recovered = MoneyColumn("Recovered", accessor="recovered_amount")
    date_filed = tables.DateColumn(verbose_name="Date filed")
    last_update = tables.DateColumn(verbose_name="Last update", accessor="updated_at")

    def render_last_update(self, value):
        return date_filter(timezone.localdate(value), "SHORT_DATE_FORMAT")

    class Meta(KeysetTable.Meta):
        sequence = ("case_id", "type", "product", "status", "claimed", "recovered", "date_filed", "last_update")


class ReimbursedCaseTable(KeysetTable):
    claimed = MoneyColumn("Claimed", accessor="claimed_amount")
    recovered = MoneyColumn("Recovered", accessor="recovered_amount")
    units_cash = tables.Column("Units reimbursed (cash)", accessor="units_reimbursed_cash", orderable=False,
                               attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    units_inventory = tables.Column("Units reimbursed (inventory)", accessor="units_reimbursed_inventory",
                                    orderable=False, attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    last_reimbursed_on = tables.DateColumn(verbose_name="Last reimbursed", orderable=False)

    class Meta(KeysetTable.Meta):
        sequence = ("case_id", "type", "product", "status", "claimed", "recovered", "units_cash",
                    "units_inventory", "last_reimbursed_on")

