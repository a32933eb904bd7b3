import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseStatus, CaseTotals, EventSource, ReimbursementRecord
from cases.records import record_add_manual
from cases.services import (
    RecomputeResult, TransitionNotAllowed, allowed_staff_targets, case_transition, case_update, cases_recompute,
    records_match,
)
from tests.factories import add_record, make_case, make_seller_account

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus




def refreshed(case):
    return Case.objects.get(pk=case.pk)


def test_a_new_case_is_open_with_a_history_entry(acme_amazon, staff_user):
    case = make_case(acme_amazon, actor=staff_user)
    assert case.status == S.OPEN
    event = CaseEvent.objects.get(case=case)
    assert (event.from_status, event.to_status, event.actor) == ("", S.OPEN, staff_user)
    assert (event.source, event.reason) == (EventSource.STAFF, "Case filed")


def test_a_case_filed_without_a_person_is_noted_as_the_systems(acme_amazon):
    event = CaseEvent.objects.get(case=make_case(acme_amazon))
    assert (event.source, event.actor, event.reason) == (EventSource.SYSTEM, None, "Case filed")


def test_a_case_filed_after_its_reimbursement_was_reported_counts_it_and_says_so(acme_amazon, staff_user):
    record = add_record(acme_amazon, "20.00", cash=1, case_reference="5555555555")

    case = make_case(acme_amazon, actor=staff_user, marketplace_case_id="5555555555", units_claimed=2)

    assert ReimbursementRecord.objects.get(pk=record.pk).case_id == case.pk
    assert (case.status, case.recovered_amount) == (S.PARTIALLY_REIMBURSED, Decimal("20.00"))
    latest = CaseEvent.objects.filter(case=case).latest("id")
    assert (latest.from_status, latest.to_status, latest.source, latest.actor) == (
        S.OPEN, S.PARTIALLY_REIMBURSED, EventSource.STAFF, staff_user)
    assert latest.reason.startswith("Reimbursements reported before the case was recorded")


def test_matching_says_how_many_cases_and_statuses_changed_and_a_second_run_changes_nothing(acme_amazon):
    case = make_case(acme_amazon, units_claimed=2)
    other = make_case(acme_amazon, units_claimed=2)
    records = [add_record(acme_amazon, "20.00", cash=1, case_reference=c.marketplace_case_id) for c in (case, other)]
    ReimbursementRecord.objects.filter(pk__in=[r.pk for r in records]).update(case=None)
    cases_recompute(case_ids=[case.pk, other.pk], source=EventSource.SYNC, reason="Records taken away")

    first = records_match(seller_account_id=acme_amazon.pk, case_ids=[case.pk, other.pk], source=EventSource.SYNC,
                          reason="Report")
    again = records_match(seller_account_id=acme_amazon.pk, case_ids=[case.pk, other.pk], source=EventSource.SYNC,
                          reason="Report")

    assert (first, again) == (RecomputeResult(2, 2), RecomputeResult(0, 0))
    assert cases_recompute(case_ids=[], source=EventSource.SYNC, reason="Nothing") == RecomputeResult(0, 0)


def test_matching_without_records_or_cases_to_look_at_is_refused(acme_amazon):
    with pytest.raises(ValueError, match="^records_match needs record_ids or case_ids$"):
        records_match(seller_account_id=acme_amazon.pk, source=EventSource.SYNC, reason="Report")


def test_part_of_the_units_makes_it_partially_reimbursed(acme_amazon):
    case = make_case(acme_amazon, units_claimed=2)
    add_record(case, "20.00", cash=1)
    case = refreshed(case)
    assert case.status == S.PARTIALLY_REIMBURSED
    assert case.recovered_amount == Decimal("20.00")


def test_units_in_cash_and_inventory_cover_the_claim(acme_amazon):
    case = make_case(acme_amazon, units_claimed=2)
    add_record(case, "20.00", cash=1)
    add_record(case, "0.00", cash=0, inventory=1)
    assert refreshed(case).status == S.FULLY_REIMBURSED


def test_an_amount_only_claim_is_full_when_cash_covers_it(acme_amazon):
    case = make_case(acme_amazon, units_claimed=None, claimed_amount=Decimal("15.00"),
                     reimbursement_type="fee_overcharge")
    add_record(case, "10.00", cash=0)
    assert refreshed(case).status == S.PARTIALLY_REIMBURSED
    add_record(case, "5.00", cash=0)
    assert refreshed(case).status == S.FULLY_REIMBURSED


def test_a_reversal_moves_a_fully_reimbursed_case_back(acme_amazon):
    case = make_case(acme_amazon, units_claimed=1, claimed_amount=Decimal("20.00"))
    add_record(case, "20.00", cash=1)
    assert refreshed(case).status == S.FULLY_REIMBURSED
    add_record(case, "-20.00", cash=-1)
    case = refreshed(case)
    assert case.status == S.OPEN
    assert case.recovered_amount == Decimal("0.00")
    changes = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("from_status", "to_status"))
    assert changes == [("", S.OPEN), (S.OPEN, S.FULLY_REIMBURSED), (S.FULLY_REIMBURSED, S.OPEN)]


def test_a_record_in_another_currency_stays_unmatched_and_counts_nothing(acme_amazon):
    case = make_case(acme_amazon, currency="USD", units_claimed=2)
    record = add_record(case, "10.00", cash=1, currency="EUR")
    case = refreshed(case)
    assert (case.recovered_amount, case.units_reimbursed_cash, case.status) == (Decimal("0.00"), 0, S.OPEN)
    assert ReimbursementRecord.objects.get(pk=record.pk).case is None


def test_units_returned_to_inventory_on_a_closed_case_are_noted(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2)
    case_transition(case=case, to_status=S.CLOSED, actor=staff_user, reason="Done")
    add_record(case, "0.00", cash=0, inventory=1)
    note = CaseEvent.objects.filter(case=case).latest("id")
    assert (note.from_status, note.to_status) == (S.CLOSED, S.CLOSED)
    assert "1 inventory" in note.reason


def test_a_transition_is_refused_when_the_case_moved_since_it_was_seen(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2)
    add_record(case, "20.00", cash=1)
    with pytest.raises(TransitionNotAllowed) as refusal:
        case_transition(case=refreshed(case), to_status=S.NOT_ELIGIBLE, actor=staff_user,
                        reason="Denied", expected_status=S.OPEN)
    assert str(refusal.value) == (
        f"Case {case.marketplace_case_id} cannot go from Partially Reimbursed to Not Eligible: "
        "it changed to Partially Reimbursed meanwhile; look at it again")
    assert refusal.value.to_status == S.NOT_ELIGIBLE
    assert refreshed(case).status == S.PARTIALLY_REIMBURSED


def test_a_transition_of_a_case_whose_tenant_was_changed_in_memory_finds_no_case(acme_amazon, globex, staff_user):
    case = make_case(acme_amazon)
    before = case_state(case)
    case.tenant_id = globex.pk
    with pytest.raises(Case.DoesNotExist):
        case_transition(case=case, to_status=S.CLOSED, actor=staff_user, reason="Gave up")
    assert case_state(case) == before


def test_staff_records_not_eligible_with_a_reason(acme_amazon, staff_user):
    case = make_case(acme_amazon)
    case = case_transition(case=case, to_status=S.NOT_ELIGIBLE, actor=staff_user, reason="Amazon denied: no proof")
    assert case.status == S.NOT_ELIGIBLE
    assert case.closed_on is not None
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.from_status, event.to_status, event.reason) == (S.OPEN, S.NOT_ELIGIBLE, "Amazon denied: no proof")
    assert (event.source, event.actor) == (EventSource.STAFF, staff_user)


@pytest.mark.parametrize("to_status", [S.PARTIALLY_REIMBURSED, S.FULLY_REIMBURSED])
def test_staff_cannot_type_in_a_reimbursed_status(acme_amazon, staff_user, to_status):
    case = make_case(acme_amazon)
    with pytest.raises(TransitionNotAllowed) as refusal:
        case_transition(case=case, to_status=to_status, actor=staff_user, reason="x")
    assert str(refusal.value).endswith(
        f"cannot go from Open to {S(to_status).label}: that status comes from the marketplace's reimbursements")
    assert refreshed(case).status == S.OPEN


def test_a_transition_needs_a_reason(acme_amazon, staff_user):
    case = make_case(acme_amazon)
    before = case_state(case)
    with pytest.raises(TransitionNotAllowed, match="cannot go from Open to Closed: a reason is required"):
        case_transition(case=case, to_status=S.CLOSED, actor=staff_user, reason="  ")
    assert case_state(case) == before


def test_a_fully_reimbursed_case_cannot_become_not_eligible(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=1)
    add_record(case, "20.00", cash=1)
    before = case_state(case)
    with pytest.raises(TransitionNotAllowed, match="from Fully Reimbursed to Not Eligible: that is not a step"):
        case_transition(case=refreshed(case), to_status=S.NOT_ELIGIBLE, actor=staff_user, reason="x")
    assert case_state(case) == before


STAFF_STEPS = {
    S.OPEN: {S.NOT_ELIGIBLE, S.CLOSED},
    S.PARTIALLY_REIMBURSED: {S.NOT_ELIGIBLE, S.CLOSED},
    S.FULLY_REIMBURSED: {S.CLOSED},
    S.NOT_ELIGIBLE: {S.OPEN, S.CLOSED},
    S.CLOSED: {S.OPEN},
}
"""The steps staff may take, as the reimbursement team agreed them; every other one is refused."""


def case_in(status, seller_account, staff_user):
    """A case with two units claimed brought to `status` the way it happens: by records or by staff."""
    case = make_case(seller_account, units_claimed=2, claimed_amount=Decimal("40.00"))
    if status in (S.PARTIALLY_REIMBURSED, S.FULLY_REIMBURSED):
        add_record(case, "20.00" if status == S.PARTIALLY_REIMBURSED else "40.00",
                   cash=1 if status == S.PARTIALLY_REIMBURSED else 2)
    elif status in (S.NOT_ELIGIBLE, S.CLOSED):
        case_transition(case=case, to_status=status, actor=staff_user, reason="Set up")
    case = refreshed(case)
    assert case.status == status
    return case


def case_state(case):
    return (Case.objects.filter(pk=case.pk).values().get(),
            list(CaseEvent.objects.filter(case=case).values_list("id", flat=True)))


@pytest.mark.parametrize("from_status", list(S))
@pytest.mark.parametrize("to_status", list(S))
def test_staff_may_take_exactly_the_agreed_steps(acme_amazon, staff_user, from_status, to_status):
    case = case_in(from_status, acme_amazon, staff_user)
    if to_status in STAFF_STEPS[from_status]:
        moved = case_transition(case=case, to_status=to_status, actor=staff_user, reason="Staff decision")
        assert moved.status == to_status
        assert CaseEvent.objects.filter(case=case, from_status=from_status, to_status=to_status,
                                        reason="Staff decision").exists()
    else:
        before = case_state(case)
        with pytest.raises(TransitionNotAllowed) as refusal:
            case_transition(case=case, to_status=to_status, actor=staff_user, reason="Staff decision")
        assert str(refusal.value).startswith(
            f"Case {case.marketplace_case_id} cannot go from {S(from_status).label} to {S(to_status).label}: "
        )
        assert case_state(case) == before


@pytest.mark.parametrize("status", list(S))
def test_the_staff_form_offers_exactly_the_agreed_steps_in_a_stable_order(status):
    assert allowed_staff_targets(status) == sorted(STAFF_STEPS[status])


def test_the_staff_form_offers_no_step_from_a_status_it_does_not_know():
    assert allowed_staff_targets("") == []
    assert allowed_staff_targets("lost_in_space") == []


def test_a_reimbursement_on_a_closed_case_counts_and_is_noted(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2)
    case_transition(case=case, to_status=S.CLOSED, actor=staff_user, reason="Gave up")
    record = add_record(case, "20.00", cash=1)
    case = refreshed(case)
    assert case.status == S.CLOSED
    assert case.recovered_amount == Decimal("20.00")
    note = CaseEvent.objects.filter(case=case).latest("id")
    assert note.from_status == note.to_status == S.CLOSED
    assert note.record == record
    assert "stays Closed" in note.reason


def test_reopening_takes_the_status_the_records_give(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2)
    add_record(case, "20.00", cash=1)
    case_transition(case=refreshed(case), to_status=S.CLOSED, actor=staff_user, reason="Done")
    case = case_transition(case=refreshed(case), to_status=S.OPEN, actor=staff_user, reason="Amazon reopened")
    assert case.status == S.PARTIALLY_REIMBURSED
    assert case.closed_on is None
    reopened, followed = CaseEvent.objects.filter(case=case).order_by("-id")[:2][::-1]
    assert (reopened.from_status, reopened.to_status, reopened.reason) == (S.CLOSED, S.OPEN, "Amazon reopened")
    assert (followed.from_status, followed.to_status, followed.actor) == (S.OPEN, S.PARTIALLY_REIMBURSED, staff_user)
    assert followed.reason.startswith("Reopened: status follows the reimbursements recorded")


def test_a_case_closed_after_being_found_not_eligible_is_closed_on_the_day_of_that_later_answer(
        acme_amazon, staff_user):
    today = timezone.localdate()
    case = make_case(acme_amazon, date_filed=today - dt.timedelta(days=60))
    case = case_transition(case=case, to_status=S.NOT_ELIGIBLE, actor=staff_user, reason="Denied",
                           answered_on=today - dt.timedelta(days=30))

    case = case_transition(case=refreshed(case), to_status=S.CLOSED, actor=staff_user, reason="  Gave up  ",
                           answered_on=today - dt.timedelta(days=2))

    closing = CaseEvent.objects.filter(case=case).latest("id")
    assert case.closed_on == closing.happened_on == today - dt.timedelta(days=2), "the case and its timeline agree"
    assert closing.reason == "Gave up"


def test_history_is_never_deleted(acme_amazon):
    case = make_case(acme_amazon)
    history = list(CaseEvent.objects.filter(case=case).values())
    with pytest.raises(IntegrityError, match="cases_caseevent rows are never deleted"), transaction.atomic():
        CaseEvent.objects.filter(case=case).delete()
    with pytest.raises(IntegrityError, match="cases_caseevent rows are never updated"), transaction.atomic():
        CaseEvent.objects.filter(case=case).update(reason="rewritten")
    assert list(CaseEvent.objects.filter(case=case).values()) == history


def test_rollups_follow_every_change(acme_amazon, staff_user):
    open_case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    lost_case = make_case(acme_amazon, units_claimed=1, claimed_amount=Decimal("30.00"))
    cad_case = make_case(acme_amazon, units_claimed=1, claimed_amount=Decimal("9.99"), currency="CAD")
    add_record(open_case, "15.00", cash=1)
    add_record(lost_case, "5.00", cash=0)
    case_transition(case=refreshed(lost_case), to_status=S.CLOSED, actor=staff_user, reason="Done")

    def figures(currency, status):
        rows = CaseTotals.objects.filter(currency=currency, status=status)
        return (sum(r.case_count for r in rows), sum(r.claimed_amount for r in rows),
                sum(r.recovered_amount for r in rows), sum(r.shortfall_amount for r in rows))

    assert figures("USD", S.PARTIALLY_REIMBURSED) == (1, Decimal("40.00"), Decimal("15.00"), Decimal("25.00"))
    assert figures("USD", S.CLOSED) == (1, Decimal("30.00"), Decimal("5.00"), Decimal("25.00"))
    assert figures("USD", S.OPEN) == (0, 0, 0, 0)
    assert figures("CAD", S.OPEN) == (1, Decimal("9.99"), Decimal("0.00"), Decimal("9.99"))
    assert cad_case.currency == "CAD"


def test_staff_cannot_enter_a_reimbursement_in_another_currency_than_its_case(acme_amazon, staff_user):
    case = make_case(acme_amazon, currency="USD")
    with pytest.raises(ValidationError, match="claims in USD"):
        record_add_manual(
            seller_account=acme_amazon, actor=staff_user, case_reference=case.marketplace_case_id,
            approval_date=dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc), reimbursement_id="W1",
            reason="Settlement", currency="CAD", amount_per_unit=Decimal("5"), amount_total=Decimal("5"),
            quantity_cash=1,
        )
    assert not ReimbursementRecord.objects.filter(reimbursement_id="W1").exists()


def test_correcting_a_case_id_attaches_the_reimbursements_reported_under_it(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2)
    record = add_record(acme_amazon, "20.00", cash=1, case_reference="9999999999")
    case.marketplace_case_id = "9999999999"
    case = case_update(case=case, actor=staff_user, reason="Typo in the case ID")
    assert ReimbursementRecord.objects.get(pk=record.pk).case_id == case.pk
    assert (case.status, case.recovered_amount) == (S.PARTIALLY_REIMBURSED, Decimal("20.00"))
    corrected, moved = CaseEvent.objects.filter(case=case).order_by("-id")[:2][::-1]
    assert (corrected.source, corrected.actor, corrected.from_status, corrected.to_status) == (
        EventSource.STAFF, staff_user, S.OPEN, S.OPEN)
    assert corrected.reason.startswith("Claim corrected (") and corrected.reason.endswith("): Typo in the case ID")
    assert (moved.to_status, moved.record_id, moved.actor) == (S.PARTIALLY_REIMBURSED, record.pk, staff_user)


def test_a_status_moved_by_a_corrected_claim_names_no_record_as_its_cause(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2)
    record = add_record(case, "20.00", cash=1)
    edited = refreshed(case)
    edited.units_claimed, edited.claimed_amount = 1, Decimal("20.00")

    case = case_update(case=edited, actor=staff_user, reason="Only one unit was lost")

    moved = CaseEvent.objects.filter(case=case).latest("id")
    assert (moved.from_status, moved.to_status, moved.record_id) == (S.PARTIALLY_REIMBURSED, S.FULLY_REIMBURSED, None)
    assert ReimbursementRecord.objects.get(pk=record.pk).case_id == case.pk


def test_correcting_a_wrong_case_id_releases_the_records_of_the_old_one(acme_amazon, staff_user):
    case = make_case(acme_amazon, marketplace_case_id="1111111111", units_claimed=2)
    record = add_record(case, "20.00", cash=1)
    case.marketplace_case_id = "2222222222"
    case = case_update(case=case, actor=staff_user, reason="Typo in the case ID")
    assert ReimbursementRecord.objects.get(pk=record.pk).case is None
    assert (case.status, case.recovered_amount) == (S.OPEN, Decimal("0.00"))


def test_correcting_the_currency_of_a_claim_swaps_the_records_that_count(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2, currency="USD")
    usd = add_record(case, "20.00", cash=1, currency="USD")
    cad = add_record(case, "15.00", cash=2, currency="CAD", on=dt.date(2026, 11, 5))
    assert ReimbursementRecord.objects.get(pk=cad.pk).case is None

    case.currency = "CAD"
    case = case_update(case=case, actor=staff_user, reason="Filed on amazon.ca")

    assert ReimbursementRecord.objects.get(pk=usd.pk).case is None
    assert ReimbursementRecord.objects.get(pk=cad.pk).case_id == case.pk
    assert (case.status, case.recovered_amount, case.last_reimbursed_on) == (
        S.FULLY_REIMBURSED, Decimal("15.00"), dt.date(2026, 11, 5)
    )


def test_units_returned_to_inventory_alone_make_a_case_partially_reimbursed(acme_amazon):
    case = make_case(acme_amazon, units_claimed=3, claimed_amount=Decimal("60.00"))
    add_record(case, "0.00", cash=0, inventory=1)
    case = refreshed(case)
    assert (case.status, case.units_reimbursed_inventory, case.recovered_amount) == (
        S.PARTIALLY_REIMBURSED, 1, Decimal("0.00")
    )


def test_correcting_one_case_leaves_the_records_of_every_other_case_where_they_are(acme_amazon, staff_user):
    corrected = make_case(acme_amazon, marketplace_case_id="1111111111", units_claimed=2)
    other = make_case(acme_amazon, marketplace_case_id="3333333333", units_claimed=2)
    other_eur = make_case(acme_amazon, marketplace_case_id="4444444444", units_claimed=2, currency="CAD")
    add_record(corrected, "20.00", cash=1)
    kept = add_record(other, "20.00", cash=1)
    kept_cad = add_record(other_eur, "15.00", cash=1, currency="CAD")

    corrected.marketplace_case_id = "2222222222"
    case_update(case=corrected, actor=staff_user, reason="Typo in the case ID")

    assert ReimbursementRecord.objects.get(pk=kept.pk).case_id == other.pk
    assert ReimbursementRecord.objects.get(pk=kept_cad.pk).case_id == other_eur.pk
    assert (refreshed(other).status, refreshed(other).recovered_amount) == (S.PARTIALLY_REIMBURSED, Decimal("20.00"))


def test_a_staff_edit_never_writes_back_the_status_and_figures_it_loaded(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2)
    seen_by_staff = refreshed(case)
    add_record(case, "20.00", cash=1)

    seen_by_staff.product_title = "Blue widget, large"
    saved = case_update(case=seen_by_staff, actor=staff_user)

    stored = refreshed(case)
    assert (stored.status, stored.recovered_amount, stored.units_reimbursed_cash, stored.product_title) == (
        S.PARTIALLY_REIMBURSED, Decimal("20.00"), 1, "Blue widget, large"
    )
    assert (saved.status, saved.recovered_amount) == (S.PARTIALLY_REIMBURSED, Decimal("20.00"))


def test_a_staff_edit_with_a_claim_change_keeps_the_figures_a_sync_set_meanwhile(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=3)
    seen_by_staff = refreshed(case)
    add_record(case, "20.00", cash=1)

    seen_by_staff.units_claimed = 1
    saved = case_update(case=seen_by_staff, actor=staff_user, reason="Only one unit was lost")

    assert (saved.status, saved.recovered_amount, saved.units_claimed) == (
        S.FULLY_REIMBURSED, Decimal("20.00"), 1
    )


def test_a_record_in_another_currency_never_counts_even_once_attached_to_the_case(acme_amazon):
    case = make_case(acme_amazon, currency="USD", units_claimed=2)
    add_record(case, "20.00", cash=1)
    stray = add_record(case, "99.00", cash=1, inventory=1, currency="CAD")
    ReimbursementRecord.objects.filter(pk=stray.pk).update(case=case)

    cases_recompute(case_ids=[case.pk], source=EventSource.STAFF, reason="Recheck")

    case = refreshed(case)
    assert (case.recovered_amount, case.units_reimbursed_cash, case.units_reimbursed_inventory, case.status) == (
        Decimal("20.00"), 1, 0, S.PARTIALLY_REIMBURSED
    )


def unmatched_record(seller_account, case_reference, amount="20.00", cash=1):
    return ReimbursementRecord.objects.create(
        tenant_id=seller_account.tenant_id, seller_account=seller_account, case_reference=case_reference,
        approval_date=dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), reimbursement_id=f"R-{case_reference}",
        reason="Lost_Warehouse", currency="USD", amount_per_unit=Decimal(amount), amount_total=Decimal(amount),
        quantity_cash=cash, fingerprint=uuid.uuid4(), source="test",
    )


def test_a_note_on_a_closed_case_counts_as_a_changed_case_but_not_as_a_status_change(acme_amazon, staff_user):
    closed = make_case(acme_amazon, marketplace_case_id="5000001", units_claimed=2)
    case_transition(case=closed, to_status=S.CLOSED, actor=staff_user, reason="Gave up")
    opened = make_case(acme_amazon, marketplace_case_id="5000002", units_claimed=2)
    records = [unmatched_record(acme_amazon, "5000001"), unmatched_record(acme_amazon, "5000002")]

    result = records_match(seller_account_id=acme_amazon.pk, record_ids=[r.pk for r in records],
                           source=EventSource.SYNC, reason="Report")

    assert (result.cases_changed, result.status_changes) == (2, 1)
    assert (refreshed(closed).status, refreshed(opened).status) == (S.CLOSED, S.PARTIALLY_REIMBURSED)


def test_a_record_waits_for_its_own_accounts_case_not_another_accounts_with_the_same_case_id(acme, acme_amazon):
    other_account = make_seller_account(acme, "A1ACMESECOND")
    record = unmatched_record(acme_amazon, "6000001")

    theirs = make_case(other_account, marketplace_case_id="6000001", units_claimed=2)
    assert ReimbursementRecord.objects.get(pk=record.pk).case is None
    assert refreshed(theirs).status == S.OPEN

    mine = make_case(acme_amazon, marketplace_case_id="6000001", units_claimed=2)
    assert ReimbursementRecord.objects.get(pk=record.pk).case_id == mine.pk
    assert (refreshed(mine).status, refreshed(theirs).status) == (S.PARTIALLY_REIMBURSED, S.OPEN)


def test_a_record_goes_to_the_case_of_its_own_account_when_another_account_has_the_same_case_id(acme, acme_amazon):
    other_account = make_seller_account(acme, "A1ACMESECOND")
    theirs = make_case(other_account, marketplace_case_id="7000001", units_claimed=2)
    mine = make_case(acme_amazon, marketplace_case_id="7000001", units_claimed=2)

    record = add_record(mine, "20.00", cash=1)

    assert ReimbursementRecord.objects.get(pk=record.pk).case_id == mine.pk
    assert (refreshed(mine).status, refreshed(theirs).status) == (S.PARTIALLY_REIMBURSED, S.OPEN)
