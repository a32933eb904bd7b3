"""Reimbursed Cases lists every case that recovered money or units, and both lists add up per currency."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from cases import selectors
from cases.models import CaseStatus
from cases.services import case_transition
from dashboard.selectors import currency_summary_list
from tests.factories import add_record, make_case

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus


def get(client, tenant, name, **params):
    response = client.get(reverse(name, args=[tenant.slug]), params)
    assert response.status_code == 200
    return response


def case_ids(response):
    return [row.record.marketplace_case_id for row in response.context["table"].rows]


def totals(response):
    return {t.currency: (t.case_count, t.claimed, t.recovered, t.inventory) for t in response.context["totals"]}


@pytest.fixture
def books(acme_amazon, acme_amazon_eu, staff_user):
    """A case of each way to have recovered something, and two that recovered nothing."""
    partial = make_case(acme_amazon, marketplace_case_id="PARTIAL", units_claimed=3, claimed_amount=Decimal("60.00"))
    add_record(partial, "20.00", cash=1, on=dt.date(2026, 10, 1))
    full = make_case(acme_amazon, marketplace_case_id="FULL", units_claimed=4, claimed_amount=Decimal("192.00"))
    add_record(full, "144.00", cash=3, on=dt.date(2026, 9, 1))
    add_record(full, "0.00", cash=0, inventory=1, on=dt.date(2026, 11, 20))
    closed = make_case(acme_amazon, marketplace_case_id="CLOSED", units_claimed=2, claimed_amount=Decimal("25.00"))
    add_record(closed, "5.00", cash=1, on=dt.date(2026, 8, 1))
    case_transition(case=closed, to_status=S.CLOSED, actor=staff_user, reason="Gave up")
    reversed_away = make_case(acme_amazon, marketplace_case_id="REVERSED", units_claimed=1)
    add_record(reversed_away, "40.00", cash=1)
    add_record(reversed_away, "-40.00", cash=-1)
    make_case(acme_amazon, marketplace_case_id="OPEN")
    euro = make_case(acme_amazon_eu, marketplace_case_id="EURO", units_claimed=2, claimed_amount=Decimal("30.00"),
                     currency="EUR")
    add_record(euro, "12.00", cash=1, currency="EUR", on=dt.date(2026, 7, 1))
    return {"partial": partial, "full": full, "closed": closed, "euro": euro}


def test_reimbursed_cases_lists_every_case_that_recovered_money_or_units_whatever_its_status(
        alice_client, acme, books):
    response = get(alice_client, acme, "cases:reimbursed")

    assert sorted(case_ids(response)) == ["CLOSED", "EURO", "FULL", "PARTIAL"]
    assert response.context["result_count"] == 4
    counts = {status: n for status, n, _ in response.context["status_counts"]}
    assert counts == {S.PARTIALLY_REIMBURSED: 2, S.FULLY_REIMBURSED: 1, S.CLOSED: 1}


def test_reimbursed_totals_equal_the_dashboards_recovered_and_returned_to_inventory(alice_client, acme, books):
    response = get(alice_client, acme, "cases:reimbursed")
    dashboard = {s.currency: s for s in currency_summary_list(tenant=acme, today=dt.date(2026, 11, 30))}

    assert totals(response) == {
        "EUR": (1, None, Decimal("12.00"), Decimal("0.00")),
        "USD": (3, None, Decimal("169.00"), Decimal("48.00")),
    }
    for currency, (_, _, recovered, inventory) in totals(response).items():
        assert (recovered, inventory) == (dashboard[currency].recovered, dashboard[currency].inventory)
    assert "Recovered (cash)" in response.content.decode()


def test_reimbursed_totals_counted_over_the_rows_agree_with_the_rollup(alice_client, acme, books):
    by_rollup = totals(get(alice_client, acme, "cases:reimbursed", status=S.CLOSED))
    by_rows = totals(get(alice_client, acme, "cases:reimbursed", status=S.CLOSED, q="CLOSED"))

    assert by_rollup == by_rows == {"USD": (1, None, Decimal("5.00"), Decimal("0.00"))}


def test_reimbursed_cases_are_sorted_by_last_reimbursed_a_column_they_show(alice_client, acme, books):
    response = get(alice_client, acme, "cases:reimbursed")

    assert response.context["sort"] == "-last_reimbursed"
    assert "last_reimbursed" in [column.name for column in response.context["table"].columns]
    assert case_ids(response) == ["FULL", "PARTIAL", "CLOSED", "EURO"]
    assert case_ids(get(alice_client, acme, "cases:reimbursed", sort="last_reimbursed")) == [
        "EURO", "CLOSED", "PARTIAL", "FULL"]


def test_reimbursed_cases_pages_by_last_reimbursed_without_repeating_a_case(alice_client, acme, books, monkeypatch):
    from cases import pagination

    monkeypatch.setattr(pagination, "PER_PAGE", 3)
    first = get(alice_client, acme, "cases:reimbursed")
    second = alice_client.get(first.wsgi_request.path + first.context["next_url"])

    assert case_ids(first) + case_ids(second) == ["FULL", "PARTIAL", "CLOSED", "EURO"]


def test_sorting_by_claimed_keeps_each_currency_together(alice_client, acme, books):
    response = get(alice_client, acme, "cases:overall", sort="-claimed")

    currencies = [row.record.currency for row in response.context["table"].rows]
    assert currencies == sorted(currencies, reverse=True)
    assert case_ids(response) == ["FULL", "PARTIAL", "OPEN", "REVERSED", "CLOSED", "EURO"]
    assert "Sorted by currency, then amount" in response.content.decode()


def test_overall_cases_shows_the_totals_of_the_filtered_rows_per_currency(alice_client, acme, acme_amazon, books):
    everything = totals(get(alice_client, acme, "cases:overall"))
    partial = totals(get(alice_client, acme, "cases:overall", status=S.PARTIALLY_REIMBURSED))
    searched = totals(get(alice_client, acme, "cases:overall", q="FULL"))

    assert everything == {
        "EUR": (1, Decimal("30.00"), Decimal("12.00"), Decimal("0.00")),
        "USD": (5, Decimal("357.00"), Decimal("169.00"), Decimal("48.00")),
    }
    assert partial == {
        "EUR": (1, Decimal("30.00"), Decimal("12.00"), Decimal("0.00")),
        "USD": (1, Decimal("60.00"), Decimal("20.00"), Decimal("0.00")),
    }
    assert searched == {"USD": (1, Decimal("192.00"), Decimal("144.00"), Decimal("48.00"))}


def test_a_result_past_the_count_cap_shows_no_totals_and_says_why(alice_client, acme, books, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    response = get(alice_client, acme, "cases:overall", filed_from="2020-01-01")

    assert (response.context["result_count"], response.context["result_count_capped"]) == (2, True)
    assert response.context["totals"] == []
    assert "Totals appear when the filters match at most 2 cases" in response.content.decode()


def test_totals_never_include_another_tenants_cases(alice_client, charlie, acme, globex, books, globex_amazon):
    other = make_case(globex_amazon, claimed_amount=Decimal("999.00"))
    add_record(other, "500.00", cash=1)
    charlie_client = Client()
    charlie_client.force_login(charlie)

    acme_totals = totals(get(alice_client, acme, "cases:reimbursed"))
    acme_filtered = totals(get(alice_client, acme, "cases:overall", filed_from="2020-01-01"))
    with scope(tenant=globex):
        globex_totals = totals(get(charlie_client, globex, "cases:reimbursed"))

    assert acme_totals["USD"][2] == Decimal("169.00")
    assert acme_filtered["USD"][1] == Decimal("357.00")
    assert globex_totals == {"USD": (1, None, Decimal("500.00"), Decimal("0.00"))}
