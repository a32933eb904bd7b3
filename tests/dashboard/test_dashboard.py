import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStatus
from cases.services import case_transition
from dashboard.chart import PLOT_HEIGHT, TOP, bar_chart
from cases.rollups import rollup_differences
from dashboard.forms import PeriodForm
from dashboard.selectors import (
    currency_summary_list,
    month_window,
    period_recovery_list,
    recovery_rate,
    top_product_list,
)
from dashboard.panels import month_label
from tests.factories import add_record, make_case, make_seller_account

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus
TODAY = dt.date(2026, 11, 15)




def summaries(tenant, **kwargs):
    return {summary.currency: summary for summary in currency_summary_list(tenant=tenant, today=TODAY, **kwargs)}


def status_figures(summary, status):
    row = next(row for row in summary.statuses if row.status == status)
    return row.case_count, row.claimed, row.recovered


def dashboard_url(tenant):
    return reverse("dashboard:index", args=[tenant.slug])


def test_claimed_recovered_pending_and_lost_add_up_per_currency(acme_amazon, staff_user):
    make_case(acme_amazon, claimed_amount=Decimal("40.00"))
    partial = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("50.00"))
    add_record(partial, "20.00", cash=1)
    denied = make_case(acme_amazon, claimed_amount=Decimal("30.00"))
    case_transition(case=denied, to_status=S.NOT_ELIGIBLE, actor=staff_user, reason="Denied")
    closed = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("25.00"))
    add_record(closed, "5.00", cash=1)
    case_transition(case=closed, to_status=S.CLOSED, actor=staff_user, reason="Gave up")

    usd = summaries(acme_amazon.tenant)["USD"]

    assert usd.case_count == 4
    assert usd.claimed == Decimal("145.00")
    assert usd.recovered == Decimal("25.00")
    assert usd.pending == Decimal("70.00")
    assert usd.lost == Decimal("50.00")
    assert usd.recovery_rate == Decimal("17.2")


def test_a_reversal_lowers_recovered_and_moves_the_money_from_fully_to_partially(acme_amazon):
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(case, "20.00", cash=1)
    add_record(case, "20.00", cash=1)
    before = summaries(acme_amazon.tenant)["USD"]
    add_record(case, "-20.00", cash=-1)
    after = summaries(acme_amazon.tenant)["USD"]

    assert status_figures(before, S.FULLY_REIMBURSED) == (1, Decimal("40.00"), Decimal("40.00"))
    assert status_figures(after, S.FULLY_REIMBURSED) == (0, Decimal("0.00"), Decimal("0.00"))
    assert status_figures(after, S.PARTIALLY_REIMBURSED) == (1, Decimal("40.00"), Decimal("20.00"))
    assert (before.recovered, after.recovered) == (Decimal("40.00"), Decimal("20.00"))
    assert (before.pending, after.pending) == (Decimal("0.00"), Decimal("20.00"))


def test_what_a_fully_reimbursed_case_got_back_as_inventory_is_neither_pending_nor_lost(acme_amazon):
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(case, "20.00", cash=1)
    add_record(case, "0.00", cash=0, inventory=1)

    usd = summaries(acme_amazon.tenant)["USD"]

    assert status_figures(usd, S.FULLY_REIMBURSED) == (1, Decimal("40.00"), Decimal("20.00"))
    assert (usd.pending, usd.lost) == (Decimal("0.00"), Decimal("0.00"))


def test_two_currencies_are_never_added_together(acme_amazon, acme_amazon_eu):
    make_case(acme_amazon, claimed_amount=Decimal("40.00"), currency="USD")
    eur_case = make_case(acme_amazon_eu, units_claimed=2, claimed_amount=Decimal("9.99"), currency="EUR")
    add_record(eur_case, "3.00", currency="EUR")

    figures = summaries(acme_amazon.tenant)

    assert sorted(figures) == ["EUR", "USD"]
    assert (figures["USD"].claimed, figures["USD"].recovered) == (Decimal("40.00"), Decimal("0.00"))
    assert (figures["EUR"].claimed, figures["EUR"].recovered) == (Decimal("9.99"), Decimal("3.00"))
    assert figures["EUR"].months[-1].recovered == Decimal("3.00")
    assert figures["USD"].months[-1].recovered == Decimal("0.00")


def test_automatic_reimbursements_are_shown_apart_and_not_counted_as_recovered(acme_amazon):
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(case, "20.00")
    add_record(acme_amazon, "12.50", case_reference="")
    add_record(acme_amazon, "7.50", case_reference="", on=dt.date(2026, 9, 30))

    usd = summaries(acme_amazon.tenant)["USD"]

    assert usd.recovered == Decimal("20.00")
    assert (usd.automatic_total, usd.automatic_count) == (Decimal("20.00"), 2)
    november = usd.months[-1]
    assert (november.recovered, november.automatic) == (Decimal("20.00"), Decimal("12.50"))


def test_a_currency_with_only_automatic_reimbursements_has_no_recovery_rate(acme_amazon):
    add_record(acme_amazon, "12.50", currency="CAD", case_reference="")

    cad = summaries(acme_amazon.tenant)["CAD"]

    assert (cad.claimed, cad.recovery_rate, cad.automatic_total) == (Decimal("0.00"), None, Decimal("12.50"))


def test_the_last_twelve_months_are_zero_filled_and_older_months_left_out(acme_amazon):
    case = make_case(acme_amazon, units_claimed=10, claimed_amount=Decimal("500.00"))
    add_record(case, "10.00", on=dt.date(2025, 11, 30))
    add_record(case, "11.00", on=dt.date(2025, 12, 1))
    add_record(case, "12.00", on=dt.date(2026, 5, 20))
    add_record(case, "-2.00", cash=-1, on=dt.date(2026, 5, 21))

    months = summaries(acme_amazon.tenant)["USD"].months

    assert [m.month for m in months] == month_window(today=TODAY)
    assert (months[0].month, months[-1].month) == (dt.date(2025, 12, 1), dt.date(2026, 11, 1))
    by_month = {m.month: m.recovered for m in months}
    assert by_month[dt.date(2025, 12, 1)] == Decimal("11.00")
    assert by_month[dt.date(2026, 5, 1)] == Decimal("10.00")
    assert sum(1 for m in months if m.recovered == 0) == 10


def test_the_month_window_crosses_the_year_backwards():
    assert month_window(today=dt.date(2026, 2, 28), count=3) == [
        dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1),
    ]


def test_recovery_rate_is_recovered_over_claimed_as_a_percentage():
    assert recovery_rate(recovered=Decimal("1.00"), claimed=Decimal("3.00")) == Decimal("33.3")
    assert recovery_rate(recovered=Decimal("0.00"), claimed=Decimal("0.00")) is None


def test_the_seller_account_filter_shows_one_account(acme, acme_amazon):
    walmart = make_seller_account(acme, "10001234", marketplace="walmart", region="")
    make_case(acme_amazon, claimed_amount=Decimal("40.00"))
    make_case(walmart, claimed_amount=Decimal("7.00"))

    assert summaries(acme)["USD"].claimed == Decimal("47.00")
    assert summaries(acme, seller_account=walmart)["USD"].claimed == Decimal("7.00")


def test_chart_bars_are_proportional_to_the_amounts():
    chart = bar_chart(points=[(dt.date(2026, 1, 1), Decimal("100.00")), (dt.date(2026, 2, 1), Decimal("25.00"))])

    assert [bar.height for bar in chart.bars] == [f"{PLOT_HEIGHT}.0", f"{Decimal(PLOT_HEIGHT) / 4:.1f}"]
    assert chart.bars[0].y == f"{TOP}.0"
    assert chart.baseline_y == f"{TOP + PLOT_HEIGHT}.0"


def test_a_month_with_more_reversed_than_paid_hangs_below_the_baseline():
    chart = bar_chart(points=[(dt.date(2026, 1, 1), Decimal("30.00")), (dt.date(2026, 2, 1), Decimal("-10.00"))])

    paid, reversed_ = chart.bars
    assert reversed_.negative and reversed_.y == chart.baseline_y
    assert Decimal(paid.height) == 3 * Decimal(reversed_.height)


def test_an_empty_chart_has_flat_bars():
    chart = bar_chart(points=[(month, Decimal("0.00")) for month in month_window(today=TODAY)])

    assert chart.is_empty
    assert {bar.height for bar in chart.bars} == {"0.0"}


def test_the_dashboard_shows_claimed_amount_per_currency(alice_client, acme_amazon, acme_amazon_eu):
    make_case(acme_amazon, claimed_amount=Decimal("1234.50"), currency="USD")
    make_case(acme_amazon_eu, claimed_amount=Decimal("99.00"), currency="EUR")

    response = alice_client.get(dashboard_url(acme_amazon.tenant))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h2 id=\"claimed-heading\">Claimed Amount</h2>" in page
    assert "$1,234.50" in page and "€99.00" in page
    assert page.count("<svg") == 2
    assert 'aria-current="page">Dashboard' in page


def test_the_dashboard_formats_amounts_in_the_sellers_locale(alice_client, acme_amazon_eu):
    make_case(acme_amazon_eu, claimed_amount=Decimal("1234.50"), currency="EUR")

    page = alice_client.get(dashboard_url(acme_amazon_eu.tenant), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "1.234,50\xa0€" in page


def test_the_chart_renders_with_no_reimbursements(alice_client, acme_amazon):
    make_case(acme_amazon)

    page = alice_client.get(dashboard_url(acme_amazon.tenant)).content.decode()

    assert "<title id=\"chart-title-USD\">" in page
    assert "No reimbursements answering a case in the last 12 months." in page
    assert page.count("<rect ") == 12


def test_a_tenant_without_cases_sees_a_plain_message(alice_client, acme):
    page = alice_client.get(dashboard_url(acme)).content.decode()

    assert "No cases or reimbursements yet" in page
    assert "No seller account yet" in page


def test_a_seller_never_sees_another_tenants_figures(alice_client, acme_amazon, globex_amazon):
    make_case(acme_amazon, claimed_amount=Decimal("40.00"))
    globex_japan = make_seller_account(globex_amazon.tenant, "A1GLOBEXJAPN", region="FE",
                                       marketplace_ids=["A1VC38T7YXB528"])
    make_case(globex_japan, claimed_amount=Decimal("777.77"), currency="JPY")
    add_record(globex_amazon, "555.55", currency="GBP", case_reference="")

    page = alice_client.get(dashboard_url(acme_amazon.tenant)).content.decode()

    assert "$40.00" in page
    for foreign in ("¥778", "£555.55", "JPY", "GBP", "A1GLOBEXAMAZ", "Globex"):
        assert foreign not in page


def test_another_tenants_account_in_the_filter_shows_nothing_of_it(alice_client, acme_amazon, globex_amazon):
    make_case(acme_amazon, claimed_amount=Decimal("40.00"))
    make_case(globex_amazon, claimed_amount=Decimal("777.77"))

    page = alice_client.get(dashboard_url(acme_amazon.tenant), {"account": globex_amazon.pk}).content.decode()

    assert "$40.00" in page and "$777.77" not in page and "A1GLOBEXAMAZ" not in page


def test_another_tenants_user_gets_404(charlie_client, acme_amazon):
    assert charlie_client.get(dashboard_url(acme_amazon.tenant)).status_code == 404


def test_the_dashboard_uses_the_same_number_of_queries_with_few_or_many_cases(alice_client, acme, acme_amazon,
                                                                               staff_user):
    make_case(acme_amazon)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(dashboard_url(acme)).status_code == 200
        return len(queries)

    few = count_queries()
    walmart = make_seller_account(acme, "10001234", marketplace="walmart", region="")
    europe = make_seller_account(acme, "A1ACMEEUROPE", region="EU", marketplace_ids=["A1PA6795UKMFR9"])
    paid_by = {"USD": [acme_amazon, walmart], "EUR": [europe], "GBP": [europe], "CAD": [acme_amazon]}
    for index, currency in enumerate(["USD", "EUR", "GBP", "CAD"] * 5):
        accounts = paid_by[currency]
        case = make_case(accounts[index // 4 % len(accounts)], currency=currency,
                         reimbursement_type=["lost_warehouse", "damaged_warehouse", "other"][index % 3])
        add_record(case, "5.00", currency=currency, on=dt.date(2026, 1 + index % 11, 3))
        add_record(case.seller_account, "1.00", currency=currency, case_reference="")
        if index % 4 == 0:
            case_transition(case=case, to_status=S.CLOSED, actor=staff_user, reason="Done")

    assert count_queries() == few


def test_a_failed_sync_is_explained_with_the_next_attempt(alice_client, acme):
    now = timezone.now()
    make_seller_account(
        acme, "A1FAILING", last_synced_at=now - dt.timedelta(days=2), last_sync_failed_at=now - dt.timedelta(hours=1),
        last_sync_error="Amazon answered 503", next_sync_at=now + dt.timedelta(hours=3),
    )
    make_seller_account(acme, "A1HEALTHY", last_synced_at=now - dt.timedelta(hours=1),
                        last_sync_failed_at=now - dt.timedelta(days=1), last_sync_error="old failure")

    page = alice_client.get(dashboard_url(acme)).content.decode()

    assert "The last sync did not go through. Our team has been told" in page
    assert "Amazon answered 503" not in page, "the technical text is for staff"
    assert "old failure" not in page and "Up to date as of the last sync" in page
    assert "Never" not in page
    assert "Not scheduled" in page


def test_an_account_never_synced_or_needing_reconnection_says_so(alice_client, acme):
    make_seller_account(acme, "A1NEWACCOUNT")
    make_seller_account(acme, "A1REFUSED", needs_reconnect=True, last_synced_at=timezone.now())

    page = alice_client.get(dashboard_url(acme)).content.decode()

    assert "Never" in page and "Waiting for the first sync" in page
    assert "authorize us again in Amazon Seller Central" in page


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_dashboard_refuses_writes(alice_client, acme, method):
    assert getattr(alice_client, method)(dashboard_url(acme)).status_code == 405


def test_an_account_without_a_report_to_poll_says_our_team_records_it(alice_client, acme):
    make_seller_account(acme, "10001234", marketplace="walmart", region="", sync_backend="manual")

    page = alice_client.get(dashboard_url(acme)).content.decode()

    assert "Walmart has no reimbursements report to read: our team records this account" in page
    assert "Waiting for the first sync" not in page


def test_month_names_are_cached_per_language():
    november = dt.date(2026, 11, 1)
    assert month_label(november, "F Y", "fr") == "novembre 2026"
    assert (month_label(november, "F Y", "en"), month_label(november, "M", "en")) == ("November 2026", "Nov")


def assert_figures_add_up(summary):
    """Claimed = recovered in cash + returned to inventory + pending + lost, in the summary's currency;
    what cases recovered beyond their claims is on the recovered side, so it is added to the claimed."""
    assert summary.claimed + summary.beyond_claims == (
        summary.recovered + summary.inventory + summary.pending + summary.lost
    ), summary.currency


def test_a_unit_returned_to_inventory_counts_at_the_claims_value_per_unit(acme_amazon):
    case = make_case(acme_amazon, units_claimed=4, claimed_amount=Decimal("192.00"))
    add_record(case, "144.00", cash=3)
    add_record(case, "0.00", cash=0, inventory=1)

    usd = summaries(acme_amazon.tenant)["USD"]

    assert case.__class__.objects.get(pk=case.pk).inventory_value == Decimal("48.00")
    assert (usd.claimed, usd.recovered, usd.inventory, usd.pending, usd.lost) == (
        Decimal("192.00"), Decimal("144.00"), Decimal("48.00"), Decimal("0.00"), Decimal("0.00"))
    assert usd.recovery_rate == Decimal("100.0")
    assert_figures_add_up(usd)


def test_what_a_fully_reimbursed_case_was_paid_below_its_claim_is_lost(acme_amazon):
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("50.00"))
    add_record(case, "18.00", cash=1)
    add_record(case, "0.00", cash=0, inventory=1)

    usd = summaries(acme_amazon.tenant)["USD"]

    assert status_figures(usd, S.FULLY_REIMBURSED)[0] == 1
    assert (usd.recovered, usd.inventory, usd.pending, usd.lost) == (
        Decimal("18.00"), Decimal("25.00"), Decimal("0.00"), Decimal("7.00"))
    assert_figures_add_up(usd)


def test_figures_add_up_with_closed_cases_reversals_inventory_and_overpayment(acme_amazon, acme_amazon_eu, staff_user):
    make_case(acme_amazon, claimed_amount=Decimal("40.00"))
    partial = make_case(acme_amazon, units_claimed=3, claimed_amount=Decimal("60.00"))
    add_record(partial, "20.00", cash=1)
    add_record(partial, "0.00", cash=0, inventory=1)
    closed = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("25.00"))
    add_record(closed, "5.00", cash=1)
    case_transition(case=closed, to_status=S.CLOSED, actor=staff_user, reason="Gave up")
    reversed_case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(reversed_case, "40.00", cash=2)
    add_record(reversed_case, "-20.00", cash=-1)
    overpaid = make_case(acme_amazon, units_claimed=1, claimed_amount=Decimal("10.00"))
    add_record(overpaid, "13.00", cash=1)
    amount_only = make_case(acme_amazon, units_claimed=None, claimed_amount=Decimal("9.00"))
    add_record(amount_only, "0.00", cash=0, inventory=1)
    euro = make_case(acme_amazon_eu, units_claimed=2, claimed_amount=Decimal("30.00"), currency="EUR")
    add_record(euro, "0.00", cash=0, inventory=2, currency="EUR")

    figures = summaries(acme_amazon.tenant)
    usd, eur = figures["USD"], figures["EUR"]

    assert usd.claimed == Decimal("184.00")
    assert usd.recovered == Decimal("58.00")
    assert usd.inventory == Decimal("20.00"), "a claim on an amount only has no value per unit"
    assert usd.pending == Decimal("89.00"), "40 open + 20 partial + 20 reversed + 9 amount only"
    assert usd.lost == Decimal("20.00")
    assert usd.beyond_claims == Decimal("3.00")
    assert usd.recovery_rate == Decimal("42.4")
    assert (eur.claimed, eur.recovered, eur.inventory, eur.pending, eur.lost) == (
        Decimal("30.00"), Decimal("0.00"), Decimal("30.00"), Decimal("0.00"), Decimal("0.00"))
    assert_figures_add_up(usd)
    assert_figures_add_up(eur)


def test_the_dashboard_states_the_identity_and_how_the_recovery_rate_counts(alice_client, acme_amazon):
    case = make_case(acme_amazon, units_claimed=4, claimed_amount=Decimal("192.00"))
    add_record(case, "144.00", cash=3)
    add_record(case, "0.00", cash=0, inventory=1)

    page = alice_client.get(dashboard_url(acme_amazon.tenant)).content.decode()

    assert "Of the $192.00 claimed: $144.00 was paid to you in cash, $48.00 came back as units returned" in page
    assert "recovery rate is cash recovered plus units returned to inventory" in page
    assert "beyond what some cases claimed" not in page


def test_the_period_adds_up_what_was_approved_between_two_dates_per_currency(acme_amazon, acme_amazon_eu):
    case = make_case(acme_amazon, units_claimed=10, claimed_amount=Decimal("500.00"))
    add_record(case, "10.00", on=dt.date(2026, 10, 31))
    add_record(case, "11.00", on=dt.date(2026, 11, 1))
    add_record(case, "-2.00", cash=-1, on=dt.date(2026, 11, 10))
    add_record(case, "12.00", on=dt.date(2026, 11, 11))
    add_record(acme_amazon, "4.00", case_reference="", on=dt.date(2026, 11, 5))
    euro = make_case(acme_amazon_eu, units_claimed=2, claimed_amount=Decimal("30.00"), currency="EUR")
    add_record(euro, "7.00", currency="EUR", on=dt.date(2026, 11, 2))

    figures = {p.currency: p for p in period_recovery_list(
        tenant=acme_amazon.tenant, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 10))}

    assert sorted(figures) == ["EUR", "USD"]
    assert (figures["USD"].recovered, figures["USD"].automatic) == (Decimal("9.00"), Decimal("4.00"))
    assert figures["EUR"].recovered == Decimal("7.00")
    only_eu = period_recovery_list(tenant=acme_amazon.tenant, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 10),
                                   seller_account=acme_amazon_eu)
    assert [p.currency for p in only_eu] == ["EUR"]


def test_the_period_form_is_a_plain_get_form_and_refuses_a_period_that_ends_before_it_starts(
        alice_client, acme_amazon):
    case = make_case(acme_amazon, units_claimed=10, claimed_amount=Decimal("500.00"))
    add_record(case, "12.34", on=dt.date(2026, 6, 15))
    url = dashboard_url(acme_amazon.tenant)

    chosen = alice_client.get(url, {"recovered_from": "2026-06-01", "recovered_to": "2026-06-30"})
    backwards = alice_client.get(url, {"recovered_from": "2026-06-30", "recovered_to": "2026-06-01"})

    page = chosen.content.decode()
    assert '<form method="get" class="filters" aria-label="Period">' in page
    assert "$12.34" in page.split('id="period-heading"')[1]
    assert "The period starts after it ends" in backwards.content.decode()
    assert backwards.context["period_figures"] == []


def test_the_period_defaults_to_the_last_30_days():
    form = PeriodForm({})
    assert form.period(today=dt.date(2026, 11, 30)) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_a_period_ending_in_the_first_days_of_the_calendar_starts_at_its_first_day():
    form = PeriodForm({"recovered_to": "0001-01-05"})
    assert form.period(today=dt.date(2026, 11, 30)) == (dt.date.min, dt.date(1, 1, 5))


def test_top_products_rank_skus_by_claimed_and_by_recovered_and_link_to_their_cases(
        alice_client, acme_amazon, acme_amazon_eu):
    for sku, claimed, paid in [("BIG-CLAIM", "300.00", "0"), ("WELL-PAID", "100.00", "90.00"),
                               ("WELL-PAID", "50.00", "10.00"), ("SMALL", "5.00", "1.00")]:
        case = make_case(acme_amazon, sku=sku, units_claimed=1, claimed_amount=Decimal(claimed))
        if paid != "0":
            add_record(case, paid, cash=0)
    make_case(acme_amazon_eu, sku="BIG-CLAIM", claimed_amount=Decimal("1.00"), currency="EUR")

    usd = top_product_list(tenant=acme_amazon.tenant, currencies=["USD", "EUR"], top=2)["USD"]
    page = alice_client.get(dashboard_url(acme_amazon.tenant)).content.decode()

    assert [(p.sku, p.case_count, p.claimed) for p in usd.by_claimed] == [
        ("BIG-CLAIM", 1, Decimal("300.00")), ("WELL-PAID", 2, Decimal("150.00"))]
    assert [(p.sku, p.recovered) for p in usd.by_recovered] == [
        ("WELL-PAID", Decimal("100.00")), ("SMALL", Decimal("1.00"))]
    assert f'href="/t/{acme_amazon.tenant.slug}/cases/?q=WELL-PAID"' in page
    assert top_product_list(tenant=acme_amazon.tenant, currencies=["EUR"])["EUR"].by_recovered == []
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []


def test_top_products_and_the_period_never_show_another_tenants_figures(acme_amazon, globex_amazon):
    make_case(acme_amazon, sku="ACME-SKU")
    other = make_case(globex_amazon, sku="GLOBEX-SKU", units_claimed=1)
    add_record(other, "8.00", on=dt.date(2026, 11, 3))

    products = top_product_list(tenant=acme_amazon.tenant, currencies=["USD"])
    period = period_recovery_list(tenant=acme_amazon.tenant, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))

    assert [p.sku for p in products["USD"].by_claimed] == ["ACME-SKU"]
    assert period == []


def test_a_disconnected_or_unstarted_account_never_says_up_to_date_nor_its_next_sync(alice_client, acme):
    now = timezone.now()
    make_seller_account(acme, "A1GONE", connected=False, last_synced_at=now, next_sync_at=now)
    make_seller_account(acme, "A1NOTYET", service_initiated_on=None, last_synced_at=now, next_sync_at=now)

    page = alice_client.get(dashboard_url(acme)).content.decode()

    assert "Up to date" not in page
    assert "add us as an Authorized Partner in Amazon Seller Central" in page
    assert "your account manager will start it" in page
    assert page.count("Not scheduled") == 2


def test_sp_api_without_stored_credentials_never_asks_the_seller_to_authorize(alice_client, acme):
    make_seller_account(acme, "A1NOCREDS", sync_backend="amazon_sp_api", needs_reconnect=True,
                        last_sync_failed_at=timezone.now(),
                        last_sync_error="This account has no Amazon authorization yet. Authorize us in Seller Central.")

    page = alice_client.get(dashboard_url(acme)).content.decode()
    overall = alice_client.get(reverse("cases:overall", args=[acme.slug])).content.decode()

    assert "Our team is finishing the connection of this account" in page
    assert "Seller Central" not in page and "Seller Central" not in overall


def test_a_walmart_account_is_never_said_to_be_paid_by_amazon(alice_client, acme):
    walmart = make_seller_account(acme, "10001234", marketplace="walmart", region="", sync_backend="manual")
    add_record(make_case(walmart, currency="USD"), "5.00")

    page = alice_client.get(dashboard_url(acme), {"account": walmart.pk}).content.decode()

    assert "Paid by Walmart without a case" in page and "Amazon" not in page


def test_a_disconnected_walmart_account_is_sent_to_walmart_not_amazon(alice_client, acme):
    make_seller_account(acme, "10004321", marketplace="walmart", region="", sync_backend="manual", connected=False)

    page = alice_client.get(dashboard_url(acme)).content.decode()

    assert "Walmart Seller Center" in page and "Seller Central" not in page
