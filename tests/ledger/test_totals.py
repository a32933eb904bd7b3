"""`OpportunityTotals`, the rollup the funnel and the Identified page's counts read: it equals what the
opportunities say, on any day, and every write keeps it so."""

import datetime as dt
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.rls import across_tenants
from cases.rollups import rollup_differences
from ledger.models import Opportunity, OpportunityState, OpportunityTotals
from ledger.rollups import OPPORTUNITY_TOTALS
from ledger.selectors import CLOSING_HORIZONS, ZERO, funnel_summary, opportunity_state_counts
from ledger.services import opportunities_detect, opportunity_dismiss, opportunity_restore
from tests.ledger.helpers import add_reimbursement, claim, days_ago, import_rows, row

pytestmark = pytest.mark.usefixtures("acme_scope")
S = OpportunityState
OPEN_STATES = (S.FUTURE, S.READY, S.EXPIRED)
DAYS = (-31, -30, -29, -1, 0, 1, 6, 7, 8, 14, 15, 20, 21, 30, 31, 60, 90)
"""Days from today on which to read: each crosses some opportunity's window opening or closing."""


def open_side(tenant, today, seller_account=None):
    """What the funnel's open side says, from `funnel_summary`."""
    summary = funnel_summary(tenant=tenant, today=today, seller_account=seller_account)
    return {
        f.currency: (f.ready, f.future, f.expired_unclaimed, f.closing)
        for f in summary.funnels if (f.ready, f.future, f.expired_unclaimed) != (ZERO, ZERO, ZERO)
    }, summary.unvalued


def open_side_of_the_opportunities(today, seller_account=None):
    """The same, from every opportunity's own state (`Opportunity.state_on`), in Python."""
    amounts: dict[str, dict] = {}
    unvalued = 0
    opportunities = Opportunity.objects.all()
    if seller_account is not None:
        opportunities = opportunities.filter(seller_account=seller_account)
    for o in opportunities:
        state = o.state_on(today)
        if state not in OPEN_STATES:
            continue
        if not o.currency:
            unvalued += 1
            continue
        of = amounts.setdefault(o.currency, {S.READY: ZERO, S.FUTURE: ZERO, S.EXPIRED: ZERO,
                                             "closing": {days: ZERO for days in CLOSING_HORIZONS}})
        of[state] += o.amount
        for days in CLOSING_HORIZONS:
            if state == S.READY and o.window_closes_on <= today + dt.timedelta(days=days):
                of["closing"][days] += o.amount
    return {
        currency: (of[S.READY], of[S.FUTURE], of[S.EXPIRED], of["closing"])
        for currency, of in amounts.items() if (of[S.READY], of[S.FUTURE], of[S.EXPIRED]) != (ZERO, ZERO, ZERO)
    }, unvalued


def states_of_the_opportunities(today, **filters):
    counts = Counter(o.state_on(today) for o in Opportunity.objects.filter(**filters))
    return {state: counts.get(state, 0) for state in S.values}


def assert_rollup_right(tenant):
    assert rollup_differences(tenant_id=tenant.pk, rollups=(OPPORTUNITY_TOTALS,)) == []


@pytest.fixture
def many(acme, acme_amazon, acme_amazon_eu, sam):
    """Opportunities on both sides of every window edge, in USD and EUR and unvalued, and one of each
    stored state: dismissed, claimed, resolved."""
    valued = [f"XV{n}" for n in range(12)]
    for fnsku in valued:
        add_reimbursement(acme_amazon, "10.00", fnsku=fnsku, case_reference="OLD")
    add_reimbursement(acme_amazon_eu, "7.00", fnsku="XEU", case_reference="OLD", currency="EUR")
    ages = (5, 29, 30, 31, 40, 55, 59, 60, 61, 90, 40, 40)
    import_rows(acme_amazon, [
        *(row(fnsku=fnsku, ref=f"R{n}", on=days_ago(age), quantity=-(n % 3 + 1))
          for n, (fnsku, age) in enumerate(zip(valued, ages))),
        *(row(fnsku=f"XU{age}", ref="U", on=days_ago(age), reason=reason)
          for age, reason in ((10, "M"), (45, "E"), (70, "E"))),
        row(fnsku="XV0", ref="FOUND", reason="F", quantity=5, on=days_ago(2)),
    ], source="first.tsv")
    import_rows(acme_amazon_eu, [row(fnsku="XEU", ref=f"EU{age}", on=days_ago(age), quantity=-2) for age in (20, 50)])
    by = {o.fnsku: o for o in Opportunity.objects.filter(seller_account=acme_amazon)}
    opportunity_dismiss(opportunity=by["XV10"], actor=sam, reason="Sold as used")
    claim(by["XV11"], "9100000011", sam)
    return acme


def test_the_funnel_from_the_rollup_equals_the_funnel_from_the_opportunities_on_every_day(
        many, acme_amazon, acme_amazon_eu):
    assert {o.state_on(timezone.localdate()) for o in Opportunity.objects.all()} == set(S.values)
    assert {o.currency for o in Opportunity.objects.all()} == {"USD", "EUR", ""}
    for offset in DAYS:
        today = timezone.localdate() + dt.timedelta(days=offset)
        assert open_side(many, today) == open_side_of_the_opportunities(today), f"{offset} days from today"
        for account in (acme_amazon, acme_amazon_eu):
            assert open_side(many, today, account) == open_side_of_the_opportunities(today, account)


def test_the_state_counts_from_the_rollup_equal_the_opportunities_states_on_every_day(many, acme_amazon):
    for offset in DAYS:
        today = timezone.localdate() + dt.timedelta(days=offset)
        assert opportunity_state_counts(tenant=many, today=today) == states_of_the_opportunities(today)
        assert opportunity_state_counts(tenant=many, today=today, seller_account=acme_amazon) == (
            states_of_the_opportunities(today, seller_account=acme_amazon))
        assert opportunity_state_counts(tenant=many, today=today, claim_type="damaged_warehouse") == (
            states_of_the_opportunities(today, claim_type="damaged_warehouse"))


def test_an_expired_window_moves_its_amount_without_a_write(acme, acme_amazon):
    add_reimbursement(acme_amazon, "10.00", case_reference="OLD")
    import_rows(acme_amazon, [row(quantity=-2, on=days_ago(59))])
    rows = OpportunityTotals.objects.count()

    (usd,) = funnel_summary(tenant=acme, today=timezone.localdate()).funnels
    (later,) = funnel_summary(tenant=acme, today=days_ago(-2)).funnels

    assert (usd.ready, usd.expired_unclaimed) == (Decimal("20.00"), ZERO)
    assert (later.ready, later.expired_unclaimed) == (ZERO, Decimal("20.00"))
    assert OpportunityTotals.objects.count() == rows


def test_detection_and_every_staff_decision_keep_the_rollup_right(acme, acme_amazon, sam):
    add_reimbursement(acme_amazon, "10.00", fnsku="XA", case_reference="OLD")
    import_rows(acme_amazon, [row(fnsku=fnsku, ref=fnsku, on=days_ago(40), quantity=-2) for fnsku in ("XA", "XB")])
    assert_rollup_right(acme)
    b = Opportunity.objects.get(fnsku="XB")

    import_rows(acme_amazon, [row(fnsku="XA", ref="XA-2", on=days_ago(35), quantity=-1)], source="second.tsv")
    assert_rollup_right(acme)  # a new event of the same FNSKU: detection again, incrementally
    add_reimbursement(acme_amazon, "10.00", fnsku="XB", case_reference="OLD")
    opportunities_detect(seller_account=acme_amazon)
    assert_rollup_right(acme)  # XB valued now: its bucket moved from unvalued to USD
    import_rows(acme_amazon, [row(fnsku="XA", ref="F", reason="F", quantity=1, on=days_ago(30))], source="found.tsv")
    assert_rollup_right(acme)  # a find: fewer units open, a smaller amount
    opportunity_dismiss(opportunity=b, actor=sam, reason="Duplicate")
    assert_rollup_right(acme)
    opportunity_restore(opportunity=b, actor=sam)
    assert_rollup_right(acme)
    claim(Opportunity.objects.get(pk=b.pk), "9100000021", sam)
    assert_rollup_right(acme)
    add_reimbursement(acme_amazon, "10.00", units=3, fnsku="XA")
    opportunities_detect(seller_account=acme_amazon, fnskus=["XA"])
    assert_rollup_right(acme)  # reimbursed without a case: resolved
    assert opportunities_detect(seller_account=acme_amazon) == 0
    assert_rollup_right(acme)

    states = opportunity_state_counts(tenant=acme, today=timezone.localdate())
    assert (states[S.CLAIMED], states[S.RESOLVED], sum(states.values())) == (1, 2, Opportunity.objects.count())


def test_bulk_writes_keep_the_rollup_right(acme, acme_amazon):
    import_rows(acme_amazon, [row(fnsku=f"X{n}", ref="R", on=days_ago(40 + n)) for n in range(20)])
    Opportunity.objects.filter(fnsku__in=["X1", "X2", "X3"]).update(dismissed_at=timezone.now(), dismiss_reason="x")
    Opportunity.objects.filter(fnsku="X4").update(units_open=0)
    assert_rollup_right(acme)
    Opportunity.objects.filter(fnsku__in=["X5", "X6"]).delete()
    assert_rollup_right(acme)
    assert sum(OpportunityTotals.objects.values_list("opportunity_count", flat=True)) == 18


def test_another_tenants_opportunities_stay_in_its_own_buckets(acme, acme_amazon, globex, globex_amazon):
    from django_scopes import scope

    import_rows(acme_amazon, [row(on=days_ago(40))])
    with scope(tenant=globex):
        import_rows(globex_amazon, [row(fnsku=f"G{n}", on=days_ago(40)) for n in range(3)])
        assert opportunity_state_counts(tenant=globex, today=timezone.localdate())[S.READY] == 3
    assert opportunity_state_counts(tenant=acme, today=timezone.localdate())[S.READY] == 1


def test_verify_names_a_corrupted_opportunity_bucket_and_repair_fixes_it(many, acme_amazon):
    with across_tenants(reason="test: corrupting rollups"), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_opportunitytotals SET amount = 1 WHERE tenant_id = %s AND currency = 'EUR' "
                       "AND window_opens_on = %s", [many.pk, days_ago(-10)])
        assert cursor.rowcount == 1
    out = StringIO()

    with pytest.raises(CommandError, match="1 rollup bucket"):
        call_command("rebuild_rollups", "--verify", stdout=out)

    assert (f"OpportunityTotals Amazon EU A1ACMEAMAZEU lost_warehouse EUR open {days_ago(-10)} {days_ago(-40)}: "
            "amount 1.00 stored, 14.00 expected") in out.getvalue()
    call_command("rebuild_rollups", stdout=StringIO())
    assert_rollup_right(many)
