"""The dashboard's funnel: identified → claimed → recovered / returned / pending / lost, per currency."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStatus
from cases.services import case_transition
from ledger.models import Opportunity
from ledger.selectors import funnel_list
from tests.factories import add_record
from tests.ledger.helpers import add_reimbursement, claim, days_ago, import_rows, row

pytestmark = pytest.mark.usefixtures("acme_scope")


@pytest.fixture
def funnel_data(acme, acme_amazon, acme_amazon_eu, sam):
    for fnsku in ("XA", "XB", "XC", "XD", "XE", "XF", "XG"):
        add_reimbursement(acme_amazon, "10.00", fnsku=fnsku, case_reference="OLD")
    add_reimbursement(acme_amazon_eu, "7.00", fnsku="XEU", case_reference="OLD", currency="EUR")
    import_rows(acme_amazon, [
        row(fnsku="XA", ref="A", on=days_ago(55), quantity=-1),    # ready, closes in 5 days
        row(fnsku="XB", ref="B", on=days_ago(40), quantity=-2),    # ready, closes in 20 days
        row(fnsku="XC", ref="C", on=days_ago(5), quantity=-3),     # future
        row(fnsku="XD", ref="D", on=days_ago(90), quantity=-4),    # expired unclaimed
        row(fnsku="XE", ref="E", on=days_ago(40), quantity=-2),    # claimed, recovered
        row(fnsku="XF", ref="F", on=days_ago(40), quantity=-2),    # claimed, denied
        row(fnsku="XG", ref="G", on=days_ago(40), quantity=-2),    # claimed, open
    ])
    import_rows(acme_amazon_eu, [row(fnsku="XEU", ref="EU", on=days_ago(40), quantity=-1)])
    by = {o.fnsku: o for o in Opportunity.objects.all()}
    recovered = claim(by["XE"], "9100000001", sam)
    add_record(recovered, "10.00", cash=1)
    add_record(recovered, "0.00", cash=0, inventory=1)
    denied = claim(by["XF"], "9100000002", sam)
    case_transition(case=denied, to_status=CaseStatus.NOT_ELIGIBLE, actor=sam, reason="denied")
    claim(by["XG"], "9100000003", sam)
    return acme


def funnels(tenant):
    return {funnel.currency: funnel for funnel in funnel_list(tenant=tenant, today=timezone.localdate())}


def test_the_funnel_per_currency_never_mixes_currencies(funnel_data):
    assert list(funnels(funnel_data)) == ["EUR", "USD"]
    usd, eur = funnels(funnel_data)["USD"], funnels(funnel_data)["EUR"]
    assert (usd.ready, usd.future, usd.identified) == (Decimal("30.00"), Decimal("30.00"), Decimal("60.00"))
    assert usd.expired_unclaimed == Decimal("40.00")
    assert (eur.ready, eur.claimed) == (Decimal("7.00"), Decimal("0.00"))


def test_claimed_adds_up_to_recovered_returned_pending_and_lost(funnel_data):
    usd = funnels(funnel_data)["USD"]
    assert usd.claimed == Decimal("60.00")
    assert (usd.recovered, usd.returned_to_inventory, usd.pending, usd.lost) == (
        Decimal("10.00"), Decimal("10.00"), Decimal("20.00"), Decimal("20.00"))
    assert usd.claimed == usd.recovered + usd.returned_to_inventory + usd.pending + usd.lost
    assert usd.lost_with_expired == Decimal("60.00")


def test_the_amount_closing_within_7_14_and_30_days(funnel_data):
    usd = funnels(funnel_data)["USD"]
    assert usd.closing == {7: Decimal("10.00"), 14: Decimal("10.00"), 30: Decimal("30.00")}


def test_the_dashboard_shows_the_funnel(alice_client, funnel_data):
    page = alice_client.get(reverse("dashboard:index", args=[funnel_data.slug])).content.decode()
    assert "Identified to recovered" in page and "expired unclaimed" in page and "Returned to inventory" in page


def test_unvalued_amounts_are_counted_apart_never_in_a_currency(acme, acme_amazon):
    from ledger.selectors import funnel_summary
    import_rows(acme_amazon, [row(fnsku="XNOVALUE", ref="N", on=days_ago(40))])
    summary = funnel_summary(tenant=acme, today=timezone.localdate())
    assert (summary.funnels, summary.unvalued) == ([], 1)
