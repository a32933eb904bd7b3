"""The filters of the seller's case lists. Every choice comes from the tenant's own data."""

import re

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery

from accounts.models import SellerAccount, Tenant

from .models import PRODUCT_WORDS, SEARCH_CONFIG, Case, CaseSearchKey, CaseStatus, ReimbursementType

WORD = re.compile(r"\w+")


def product_query(text: str) -> str:
    """`acme kni` → `acme:* & kni:*`: every word, as a prefix. Only word characters reach the query,
    so nothing the seller types can be read as tsquery syntax."""
    return " & ".join(f"{word}:*" for word in WORD.findall(text.lower())[:8])

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
        method="search", label="Search", max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "Start of a case ID, SKU, ASIN, order ID… or product words",
                                      "type": "search"}),
    )

    def __init__(self, data, queryset, *, seller_accounts: list[SellerAccount],
                 statuses: tuple[str, ...] = tuple(CaseStatus), tenant: Tenant | None = None):
        super().__init__(data, queryset)
        self.filters["seller_account"].extra["choices"] = [(a.pk, a.label) for a in seller_accounts]
        self.filters["status"].extra["choices"] = [(s, CaseStatus(s).label) for s in statuses]
        self.tenant_id = tenant.pk if tenant else next((a.tenant_id for a in seller_accounts), None)

    def search(self, queryset, name, value):
        """Cases one of whose identifiers starts with `value` (case-insensitive), or whose product name
        has words starting with each word of `value` ("acme kni" finds "ACME Chef Knife").

        Two index-backed sets, unioned: identifier prefixes from `CaseSearchKey`'s `(tenant, key
        text_pattern_ops)` index, product words from the full-text index on the product name. The
        union is small for a precise search and the planner fetches those cases and sorts them; for
        a broad one it walks the sort's index and keeps the cases in the set.
        """
        if self.tenant_id is None:
            return queryset.none()
        prefix = value.strip().upper()
        matches = CaseSearchKey.objects.filter(tenant_id=self.tenant_id, key__startswith=prefix).values("case_id")
        if words := product_query(value):
            named = Case.objects.filter(tenant_id=self.tenant_id).annotate(words=PRODUCT_WORDS).filter(
                words=SearchQuery(words, config=SEARCH_CONFIG, search_type="raw")
            ).values("id")
            matches = matches.union(named, all=True)
        return queryset.filter(pk__in=matches)

    @property
    def active(self) -> set[str]:
        """Names of the filters the seller set (valid ones only)."""
        return {name for name, value in self.form.cleaned_data.items() if value not in (None, "")}

    @property
    def only_dimensions(self) -> bool:
        return self.active <= DIMENSIONS
