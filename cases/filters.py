"""The filters of the seller's case lists. Every choice comes from the tenant's own data."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef

from accounts.models import SellerAccount

from .models import CaseSearchKey, CaseStatus, ReimbursementType

DIMENSIONS = {"status", "type", "seller_account"}
"""Filters that are dimensions of the `CaseTotals` rollup: a result filtered only by these is counted exactly."""


class DateInput(forms.DateInput):
    input_type = "date"


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, empty_label="Any status")
    type = django_filters.ChoiceFilter(
        field_name="reimbursement_type", choices=ReimbursementType.choices, empty_label="Any type"
    )
    seller_account = django_filters.ChoiceFilter(
        field_name="seller_account_id", label="Seller account", empty_label="Any account"
    )
    filed_from = django_filters.DateFilter(
        field_name="date_filed", lookup_expr="gte", label="Filed from", widget=DateInput
    )
    filed_to = django_filters.DateFilter(
        field_name="date_filed", lookup_expr="lte", label="Filed to", widget=DateInput
    )
    q = django_filters.CharFilter(
        method="search", label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Case ID, SKU, FNSKU, ASIN, order or shipment ID",
                                      "type": "search"}),
    )

    def __init__(self, data, queryset, *, seller_accounts: list[SellerAccount],
                 statuses: tuple[str, ...] = tuple(CaseStatus)):
        super().__init__(data, queryset)
        self.filters["seller_account"].extra["choices"] = [(a.pk, a.label) for a in seller_accounts]
        self.filters["status"].extra["choices"] = [(s, CaseStatus(s).label) for s in statuses]

    def search(self, queryset, name, value):
        """Exact, case-insensitive match on any of the identifiers, through the index of `CaseSearchKey`."""
        keys = CaseSearchKey.objects.filter(
            tenant=OuterRef("tenant"), key=value.strip().upper(), case=OuterRef("pk")
        )
        return queryset.filter(Exists(keys))

    @property
    def active(self) -> set[str]:
        """Names of the filters the seller set (valid ones only)."""
        return {name for name, value in self.form.cleaned_data.items() if value not in (None, "")}

    @property
    def only_dimensions(self) -> bool:
        return self.active <= DIMENSIONS
