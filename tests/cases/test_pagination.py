"""Paging every sort of Overall Cases both ways, from the first page to the last and back.

Eight cases, three per page, with ties in every column but the case ID: a page that repeats, skips or
starts over shows up as a difference with the order the database gives for the same sort.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope

from cases import pagination
from cases.models import Case, CaseStatus, ReimbursementType
from cases.services import case_transition
from cases.tables import DEFAULT_SORT, SORT_COLUMNS, SORT_PREFIXES
from tests.factories import add_record, make_case

pytestmark = pytest.mark.usefixtures("acme_scope")

PER_PAGE = 3
SORTS = [*SORT_COLUMNS, *(f"-{alias}" for alias in SORT_COLUMNS)]


@pytest.fixture
def mixed_cases(acme_amazon, staff_user, monkeypatch):
    monkeypatch.setattr(pagination, "PER_PAGE", PER_PAGE)
    shapes = [
        ("B-SKU", "30.00", 1, ReimbursementType.LOST_WAREHOUSE),
        ("A-SKU", "10.00", 2, ReimbursementType.DAMAGED_WAREHOUSE),
        ("B-SKU", "30.00", 2, ReimbursementType.LOST_WAREHOUSE),
        ("C-SKU", "20.00", 1, ReimbursementType.OTHER),
        ("A-SKU", "30.00", 3, ReimbursementType.LOST_WAREHOUSE),
        ("C-SKU", "10.00", 2, ReimbursementType.DAMAGED_WAREHOUSE),
        ("B-SKU", "20.00", 1, ReimbursementType.OTHER),
        ("A-SKU", "30.00", 2, ReimbursementType.LOST_WAREHOUSE),
    ]
    cases = [
        make_case(acme_amazon, marketplace_case_id=f"P{n}", sku=sku, claimed_amount=Decimal(amount),
                  date_filed=dt.date(2026, 1, day), reimbursement_type=kind, currency="CAD" if n in (2, 5) else "USD")
        for n, (sku, amount, day, kind) in enumerate(shapes)
    ]
    add_record(cases[0], "10.00")
    add_record(cases[3], "10.00")
    case_transition(case=cases[5], to_status=CaseStatus.CLOSED, actor=staff_user, reason="Withdrawn")
    return cases


def _ids(response) -> list[str]:
    return [row.record.marketplace_case_id for row in response.context["table"].rows]


def _open(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def _walk(client, response, link: str) -> list[list[str]]:
    """The pages met following `link` until it is gone, the starting page first."""
    pages = [_ids(response)]
    while response.context[link]:
        response = _open(client, response.wsgi_request.path + response.context[link])
        pages.append(_ids(response))
        assert len(pages) <= 10, f"{link} never ends: {pages}"
    return pages


def _database_order(tenant, sort: str) -> list[str]:
    alias = sort.removeprefix("-")
    columns = (*SORT_PREFIXES.get(alias, ()), SORT_COLUMNS[alias])
    with scope(tenant=tenant):
        ascending = list(Case.objects.filter(tenant=tenant).order_by(*columns, "id")
                         .values_list("marketplace_case_id", flat=True))
    return ascending[::-1] if sort.startswith("-") else ascending


def _chunked(ids: list[str]) -> list[list[str]]:
    return [ids[start:start + PER_PAGE] for start in range(0, len(ids), PER_PAGE)]


def _chunked_from_the_end(ids: list[str]) -> list[list[str]]:
    """Pages met walking back from the last page: full pages from the end, the first page what is left."""
    return [page[::-1] for page in _chunked(ids[::-1])][::-1]


@pytest.mark.parametrize("sort", SORTS)
def test_next_pages_through_every_case_once_in_the_sort_order(alice_client, acme, mixed_cases, sort):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort={sort}")

    pages = _walk(alice_client, first, "next_url")

    assert pages == _chunked(_database_order(acme, sort))


@pytest.mark.parametrize("sort", SORTS)
def test_previous_from_the_last_page_walks_back_through_the_same_pages(alice_client, acme, mixed_cases, sort):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort={sort}")
    forward = _walk(alice_client, first, "next_url")
    last = _open(alice_client, first.wsgi_request.path + first.context["last_url"])

    backward = _walk(alice_client, last, "previous_url")

    order = _database_order(acme, sort)
    assert forward == _chunked(order)
    assert backward[::-1] == _chunked_from_the_end(order)
    assert last.context["next_url"] is None


@pytest.mark.parametrize("sort", SORTS)
def test_previous_from_a_page_reached_by_next_gives_the_page_before(alice_client, acme, mixed_cases, sort):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort={sort}")
    second = _open(alice_client, first.wsgi_request.path + first.context["next_url"])
    third = _open(alice_client, second.wsgi_request.path + second.context["next_url"])

    back = _open(alice_client, third.wsgi_request.path + third.context["previous_url"])

    assert _ids(back) == _ids(second)
    assert back.context["previous_url"] and back.context["next_url"]


def test_the_default_sort_newest_filed_first_pages_forward_past_the_first_page(alice_client, acme, mixed_cases):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]))
    second = _open(alice_client, first.wsgi_request.path + first.context["next_url"])

    assert _ids(first) == _database_order(acme, DEFAULT_SORT)[:PER_PAGE]
    assert _ids(second) == _database_order(acme, DEFAULT_SORT)[PER_PAGE:2 * PER_PAGE]
    assert not set(_ids(first)) & set(_ids(second))
    assert first.context["previous_url"] is None and second.context["previous_url"]


def test_a_single_page_has_neither_next_nor_previous(alice_client, acme, acme_amazon, monkeypatch):
    monkeypatch.setattr(pagination, "PER_PAGE", PER_PAGE)
    for n in range(PER_PAGE):
        make_case(acme_amazon, marketplace_case_id=f"S{n}")

    for cursor in ("", "last"):
        page = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?cursor={cursor}")
        assert len(_ids(page)) == PER_PAGE
        assert (page.context["next_url"], page.context["previous_url"]) == (None, None)


def test_a_cursor_of_another_sort_opens_the_first_page_of_the_sort_asked_for(alice_client, acme, mixed_cases):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + "?sort=claimed")
    cursor = first.context["next_url"].split("cursor=")[1].split("&")[0]

    other = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort=-claimed&cursor={cursor}")

    assert _ids(other) == _database_order(acme, "-claimed")[:PER_PAGE]
    assert other.context["previous_url"] is None
