"""An opportunity's state on a day, and the staff decisions that move it; re-detection never forgets them."""

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import Case
from ledger.models import ClaimWindow, Opportunity, OpportunityState
from ledger.services import (
    OpportunityRefused, case_from_opportunity, claim_windows_ensure, opportunities_detect, opportunity_claim, opportunity_dismiss,
    opportunity_restore,
)
from tests.ledger.helpers import add_reimbursement, days_ago, import_rows, row

pytestmark = pytest.mark.usefixtures("acme_scope")
S = OpportunityState


def state(opportunity, today):
    """The state computed in SQL and in Python, which must agree."""
    in_sql = Opportunity.objects.with_state(today=today).get(pk=opportunity.pk).state
    assert in_sql == opportunity.state_on(today)
    return in_sql


@pytest.fixture
def lost_two(acme_amazon):
    import_rows(acme_amazon, [row(quantity=-2, on=days_ago(40))])
    return Opportunity.objects.get()


def test_the_window_comes_from_the_claim_windows_table(lost_two):
    assert (lost_two.window_opens_on, lost_two.window_closes_on) == (days_ago(10), days_ago(-20))


def test_an_opportunity_is_future_before_its_window_opens_ready_inside_and_expired_after(lost_two):
    assert state(lost_two, lost_two.window_opens_on - dt.timedelta(days=1)) == S.FUTURE
    assert state(lost_two, lost_two.window_opens_on) == S.READY
    assert state(lost_two, lost_two.window_closes_on) == S.READY
    assert state(lost_two, lost_two.window_closes_on + dt.timedelta(days=1)) == S.EXPIRED


def test_staff_edit_a_window_and_detection_follows(acme_amazon, lost_two):
    claim_windows_ensure()
    ClaimWindow.objects.filter(marketplace="amazon", claim_type="lost_warehouse").update(closes_after_days=45)
    assert opportunities_detect(seller_account=acme_amazon) == 1
    lost_two.refresh_from_db()
    assert lost_two.window_closes_on == days_ago(-5)


def test_units_found_later_resolve_the_opportunity(acme_amazon, lost_two):
    import_rows(acme_amazon, [row(reason="F", quantity=2, ref="F1", on=days_ago(3))])
    lost_two.refresh_from_db()
    assert (lost_two.units_open, state(lost_two, dt.date.today())) == (0, S.RESOLVED)


def test_an_automatic_reimbursement_resolves_it_at_the_next_detection(acme_amazon, lost_two):
    add_reimbursement(acme_amazon, "11.00", units=2)
    opportunities_detect(seller_account=acme_amazon, fnskus=["X000000001"])
    lost_two.refresh_from_db()
    assert (lost_two.units_open, lost_two.amount, state(lost_two, dt.date.today())) == (0, Decimal("0.00"), S.RESOLVED)


def test_dismissing_needs_a_reason_and_detection_keeps_the_dismissal(acme_amazon, lost_two, sam):
    with pytest.raises(OpportunityRefused, match="Say why"):
        opportunity_dismiss(opportunity=lost_two, actor=sam, reason="  ")
    assert Opportunity.objects.get().dismissed_at is None
    opportunity_dismiss(opportunity=lost_two, actor=sam, reason="Seller sold them as used")
    import_rows(acme_amazon, [row(quantity=-1, ref="R1", on=days_ago(39))])
    opportunity = Opportunity.objects.get()
    assert (opportunity.units_lost, opportunity.dismiss_reason) == (3, "Seller sold them as used")
    assert state(opportunity, dt.date.today()) == S.DISMISSED
    opportunity_restore(opportunity=opportunity, actor=sam)
    assert state(Opportunity.objects.get(), dt.date.today()) == S.READY


def test_claiming_creates_the_case_with_the_event_and_its_window_and_links_both(acme_amazon, lost_two, sam):
    add_reimbursement(acme_amazon, "15.00", units=1, case_reference="OTHER")
    opportunities_detect(seller_account=acme_amazon)
    lost_two.refresh_from_db()
    draft = case_from_opportunity(lost_two)
    assert (draft.reimbursement_type, draft.fnsku, draft.sku, draft.units_claimed, draft.claimed_amount,
            draft.currency) == ("lost_warehouse", "X000000001", "SKU-1", 2, Decimal("30.00"), "USD")
    draft.marketplace_case_id = "9000000001"
    draft.claim_deadline = None
    case = opportunity_claim(opportunity=lost_two, case=draft, actor=sam)
    assert (case.event_date, case.claim_window_closes_on, case.claim_deadline) == (
        days_ago(40), lost_two.window_closes_on, lost_two.window_closes_on)
    claimed = Opportunity.objects.get()
    assert (claimed.case, state(claimed, dt.date.today() + dt.timedelta(days=365))) == (case, S.CLAIMED)
    with pytest.raises(OpportunityRefused, match="already case 9000000001"):
        opportunity_claim(opportunity=claimed, case=case_from_opportunity(claimed), actor=sam)
    with pytest.raises(OpportunityRefused, match="cannot be dismissed"):
        opportunity_dismiss(opportunity=claimed, actor=sam, reason="no")
    assert Case.objects.count() == 1


def test_a_dismissed_opportunity_cannot_be_claimed(lost_two, sam):
    opportunity_dismiss(opportunity=lost_two, actor=sam, reason="duplicate")
    draft = case_from_opportunity(lost_two)
    draft.marketplace_case_id = "9000000002"
    with pytest.raises(OpportunityRefused, match="was dismissed"):
        opportunity_claim(opportunity=Opportunity.objects.get(), case=draft, actor=sam)
    assert Case.objects.count() == 0


def test_detection_twice_changes_nothing(acme_amazon, lost_two):
    before = Opportunity.objects.values_list("updated_at", flat=True).get()
    assert opportunities_detect(seller_account=acme_amazon) == 0
    assert Opportunity.objects.values_list("updated_at", flat=True).get() == before


def test_a_staff_price_values_an_opportunity_no_reimbursement_values(acme_amazon, lost_two):
    from ledger.models import SkuPrice
    SkuPrice.objects.create(tenant=acme_amazon.tenant, seller_account=acme_amazon, sku="SKU-1",
                            amount=Decimal("7.25"), currency="USD")
    opportunities_detect(seller_account=acme_amazon)
    lost_two.refresh_from_db()
    assert (lost_two.amount, lost_two.currency, lost_two.value_source) == (Decimal("14.50"), "USD", "staff_price")


def test_overriding_a_derived_claim_deadline_needs_a_reason_which_the_history_keeps(lost_two, sam):
    from cases.models import CaseEvent
    from cases.services import case_update
    from cases.validation import CaseRefused

    draft = case_from_opportunity(lost_two)
    draft.marketplace_case_id, draft.claimed_amount = "9000000003", Decimal("20.00")  # unvalued: staff say
    case = opportunity_claim(opportunity=lost_two, case=draft, actor=sam)
    case.claim_deadline = lost_two.window_closes_on + dt.timedelta(days=5)
    with pytest.raises(CaseRefused, match="claim deadline"):
        case_update(case=case, actor=sam)
    assert Case.objects.get().claim_deadline == lost_two.window_closes_on
    case_update(case=case, actor=sam, reason="Amazon granted an extension")
    assert Case.objects.get().claim_deadline == lost_two.window_closes_on + dt.timedelta(days=5)
    assert "Amazon granted an extension" in CaseEvent.objects.order_by("id").last().reason


def test_the_state_filter_on_columns_agrees_with_the_computed_state_on_a_mixed_set(acme_amazon, sam):
    """`in_state` (plain conditions the page's index can serve) and `with_state` (the rule, computed) pick the
    same opportunities for every state, on days across the windows' edges."""
    import_rows(acme_amazon, [
        row(fnsku="X000000001", ref="R1", on=days_ago(10)),
        row(fnsku="X000000002", ref="R2", on=days_ago(40)),
        row(fnsku="X000000003", ref="R3", on=days_ago(100)),
        row(fnsku="X000000004", ref="R4", on=days_ago(40)),
        row(fnsku="X000000005", ref="R5", on=days_ago(40)),
        row(fnsku="X000000006", ref="R6", on=days_ago(40)),
    ])
    import_rows(acme_amazon, [row(fnsku="X000000004", reason="F", quantity=1, ref="F4", on=days_ago(3))],
                source="found.tsv")
    opportunity_dismiss(opportunity=Opportunity.objects.get(fnsku="X000000005"), actor=sam, reason="duplicate")
    to_claim = Opportunity.objects.get(fnsku="X000000006")
    draft = case_from_opportunity(to_claim)
    draft.marketplace_case_id, draft.claimed_amount, draft.currency = "9000000006", Decimal("12.00"), "USD"
    opportunity_claim(opportunity=to_claim, case=draft, actor=sam)
    ready = Opportunity.objects.get(fnsku="X000000002")
    days = [dt.date.today(), ready.window_opens_on - dt.timedelta(days=1), ready.window_opens_on,
            ready.window_closes_on, ready.window_closes_on + dt.timedelta(days=1)]
    seen = set()
    for today in days:
        computed = Opportunity.objects.with_state(today=today)
        for each in S.values:
            picked = set(Opportunity.objects.in_state(each, today=today).values_list("fnsku", flat=True))
            assert picked == set(computed.filter(state=each).values_list("fnsku", flat=True)), (today, each)
            seen |= {each} if picked else set()
    assert seen == set(S.values)
