"""Every seller page costs a fixed number of queries, whatever the amount of data behind it.

Session and user (2), tenant and membership (2: the membership is read under the tenant's
row-level security, so the tenant comes first), then the page's own reads.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import ReimbursementType
from tests.factories import add_record, make_case, make_seller_account

LIST_PAGE = 8
"""session, user, tenant, membership; seller accounts; rollup buckets; page rows; result count."""
LIST_PAGE_EXACT_COUNT = 7
"""As LIST_PAGE, but the result count comes from the rollup already read."""
SEARCH = 1
"""A search first reads the ids it matches (up to 10,001), whatever the tenant's size."""

PAGES = [
    ("cases:overall", {}, LIST_PAGE_EXACT_COUNT),
    ("cases:overall", {"status": "open", "type": "lost_warehouse"}, LIST_PAGE_EXACT_COUNT),
    ("cases:overall", {"q": "SKU-1"}, LIST_PAGE + SEARCH),
    ("cases:overall", {"filed_from": "2020-01-01"}, LIST_PAGE),
    ("cases:overall", {"sort": "-claimed"}, LIST_PAGE_EXACT_COUNT),
    ("cases:overall", {"sort": "claimed", "cursor": "last"}, LIST_PAGE_EXACT_COUNT),
    ("cases:reimbursed", {}, LIST_PAGE_EXACT_COUNT),
    ("cases:reimbursed", {"sort": "recovered", "cursor": "last"}, LIST_PAGE_EXACT_COUNT),
]


def count_queries(client, path, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


def add_cases(account, n):
    other_type = ReimbursementType.DAMAGED_WAREHOUSE
    for i in range(n):
        case = make_case(account, claimed_amount=Decimal(10 + i), reimbursement_type=other_type if i % 2 else
                         ReimbursementType.LOST_WAREHOUSE)
        if i % 3 == 0:
            add_record(case, "5.00", cash=1)


@pytest.fixture
def second_account(acme):
    return make_seller_account(acme, "A1ACMESECOND")


@pytest.mark.parametrize("name,params,expected", PAGES)
def test_list_pages_cost_the_same_few_queries_at_any_size(
    alice_client, acme, acme_amazon, second_account, name, params, expected
):
    path = reverse(name, args=[acme.slug])
    add_cases(acme_amazon, 3)
    small = count_queries(alice_client, path, params)
    add_cases(acme_amazon, 20)
    add_cases(second_account, 20)
    large = count_queries(alice_client, path, params)
    assert (small, large) == (expected, expected)


def test_the_next_page_costs_the_same_as_the_first(alice_client, acme, acme_amazon, monkeypatch):
    from cases import pagination

    monkeypatch.setattr(pagination, "PER_PAGE", 5)
    add_cases(acme_amazon, 12)
    path = reverse("cases:overall", args=[acme.slug])
    next_url = alice_client.get(path, {"sort": "-claimed"}).context["next_url"]
    assert count_queries(alice_client, path + next_url) == LIST_PAGE_EXACT_COUNT


def test_case_page_costs_the_same_with_one_record_or_many(alice_client, acme, acme_amazon):
    few = make_case(acme_amazon, units_claimed=40, claimed_amount=Decimal("400.00"))
    add_record(few, "10.00", cash=1)
    many = make_case(acme_amazon, units_claimed=40, claimed_amount=Decimal("400.00"))
    for _ in range(12):
        add_record(many, "10.00", cash=1)
    add_record(many, "-10.00", cash=-1)
    counts = [count_queries(alice_client, reverse("cases:detail", args=[acme.slug, case.pk])) for case in (few, many)]
    assert counts == [7, 7]


@pytest.mark.parametrize("params", [{}, {"status": "open", "sort": "claimed"}, {"q": "SKU-1"}])
def test_export_costs_the_same_for_3_or_43_cases(alice_client, acme, acme_amazon, second_account, params):
    path = reverse("cases:export", args=[acme.slug])
    add_cases(acme_amazon, 3)
    small = count_queries(alice_client, path, params)
    add_cases(acme_amazon, 20)
    add_cases(second_account, 20)
    large = count_queries(alice_client, path, params)
    expected = 8 + (SEARCH if "q" in params else 0)  # 6, and the tenant's export lock taken and freed
    assert (small, large) == (expected, expected)
