"""The filters of the seller's case lists. Every choice comes from the tenant's own data."""

import re

import django_filters
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, Value
from django.db.models.expressions import RawSQL

from accounts.models import SellerAccount, Tenant

from .models import CaseSearchKey, CaseStatus, ReimbursementType
from .widgets import DateInput, Select, TextInput

WORD = re.compile(r"\w+")
FETCH_BY_ID = "SELECT unnest(%s::bigint[]) OFFSET 0"
"""The ids of a precise search, behind a planner fence: PostgreSQL cannot see how many there are, takes
them for few, and fetches them by id and sorts them. Seen as a plain `id IN (...)` of thousands, it
walks the sort's index expecting them spread over it, which takes a second when they sit at its far
end (the oldest cases, for a case-ID prefix)."""
SEARCH_SET_MAX = 10_000
"""A search matching more cases than this is broad: see `CaseFilter.search`. The same as the count's cap
(`cases.selectors.COUNT_CAP`), so that a broad search is simply counted as "10,000+"."""


WORD_MARK = " "
"""Starts the search key of each word of a product name (`cases.sql.search`)."""


def search_words(text: str) -> list[str]:
    """`acme kni` → `[" ACME", " KNI"]`: the words typed, at most eight, as the product-name keys are written."""
    return [WORD_MARK + word.upper() for word in WORD.findall(text.lower())[:8]]


def key_starts_with(prefix: str) -> Func:
    """The search keys that start with `prefix`. `starts_with` is leakproof, so under row-level security
    PostgreSQL still reads them as a range of `case_search_key_prefix`; `LIKE` is not, and would be
    tested on every key of the tenant after the policy (seconds on a million cases)."""
    return Func(F("key"), Value(prefix), function="starts_with", output_field=BooleanField())


DIMENSIONS = {"status", "type", "seller_account"}
"""Filters that are dimensions of the `CaseTotals` rollup: a result filtered only by these is counted exactly."""


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, empty_label="Any status", widget=Select)
    type = django_filters.ChoiceFilter(
        field_name="reimbursement_type", choices=ReimbursementType.choices, empty_label="Any type", widget=Select
    )
    seller_account = django_filters.ChoiceFilter(
        field_name="seller_account_id", label="Seller account", empty_label="Any account", widget=Select
    )
    filed_from = django_filters.DateFilter(
        field_name="date_filed", lookup_expr="gte", label="Filed from", widget=DateInput
    )
    filed_to = django_filters.DateFilter(
        field_name="date_filed", lookup_expr="lte", label="Filed to", widget=DateInput
    )
    q = django_filters.CharFilter(
        method="search", label="Search", max_length=200,
        widget=TextInput(attrs={"placeholder": "Start of a case ID, SKU, ASIN, order ID… or product words",
                                      "type": "search"}),
    )

    def __init__(self, data, queryset, *, seller_accounts: list[SellerAccount],
                 statuses: tuple[str, ...] = tuple(CaseStatus), tenant: Tenant | None = None):
        super().__init__(data, queryset)
        self.filters["seller_account"].extra["choices"] = [(a.pk, a.label) for a in seller_accounts]
        self.filters["status"].extra["choices"] = [(s, CaseStatus(s).label) for s in statuses]
        self.tenant_id = tenant.pk if tenant else next((a.tenant_id for a in seller_accounts), None)
        self.search_overflow = False

    def search(self, queryset, name, value):
        """Cases one of whose identifiers starts with `value` (case-insensitive), or whose product name
        has words starting with each word of `value` ("acme kni" finds "ACME Chef Knife").

        Every identifier and every word of the product name is a key (`CaseSearchKey`, read by prefix
        from its `(tenant, key text_pattern_ops)` index): the cases with an identifier starting with
        `value`, and those with, for each word typed, a word of their product name starting with it.
        Their first `SEARCH_SET_MAX + 1` case ids are read first. A precise search (at most that many)
        then fetches those cases by id and sorts them. A broad one ("bench", matching most of a million
        cases) would sort its whole set: instead it walks the sort's own index and tests each row, which
        finds a page of matches within a few hundred rows; `search_overflow` tells the page not to count
        them (more than `SEARCH_SET_MAX`).
        """
        if self.tenant_id is None:
            return queryset.none()
        keys = CaseSearchKey.objects.filter(tenant_id=self.tenant_id)
        prefix, words = value.strip().upper(), search_words(value)
        matches = keys.filter(key_starts_with(prefix)).values_list("case_id", flat=True)
        if words:
            named = keys.filter(key_starts_with(words[0]))
            for word in words[1:]:
                named = named.filter(Exists(keys.filter(key_starts_with(word), case=OuterRef("case"))))
            matches = matches.union(named.values_list("case_id", flat=True), all=True)
        ids = list(matches[: SEARCH_SET_MAX + 1])
        if len(ids) <= SEARCH_SET_MAX:
            return queryset.filter(pk__in=RawSQL(FETCH_BY_ID, (sorted(set(ids)),)))
        self.search_overflow = True
        by_row = Exists(keys.filter(key_starts_with(prefix), case=OuterRef("pk")))
        if words:
            every_word = [Exists(keys.filter(key_starts_with(word), case=OuterRef("pk"))) for word in words]
            return queryset.filter(by_row | Q(*every_word))
        return queryset.filter(by_row)

    @property
    def active(self) -> set[str]:
        """Names of the filters the seller set (valid ones only)."""
        return {name for name, value in self.form.cleaned_data.items() if value not in (None, "")}

    @property
    def only_dimensions(self) -> bool:
        return self.active <= DIMENSIONS
