"""The case's timeline says when each thing happened, and apart, when it was recorded here."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseStatus
from cases.services import TransitionNotAllowed, case_transition, case_update
from cases.validation import CaseRefused
from cases.voids import record_void
from tests.factories import add_record, make_case

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus
FILED = dt.date(2026, 5, 10)


def history(case):
    return [(e.to_status, e.happened_on) for e in CaseEvent.objects.filter(case=case).order_by("id")]


def refreshed(case):
    return Case.objects.get(pk=case.pk)


def test_the_filing_line_is_dated_by_the_filing_date_not_the_day_it_was_typed_in(acme_amazon):
    case = make_case(acme_amazon, date_filed=FILED)
    assert history(case) == [(S.OPEN, FILED)]
    assert refreshed(case).last_event_on == FILED
    assert CaseEvent.objects.get(case=case).created_at.date() == timezone.now().date()


def test_a_reimbursement_line_is_dated_by_its_approval_date(acme_amazon):
    case = make_case(acme_amazon, date_filed=FILED, units_claimed=2)
    add_record(case, "20.00", on=dt.date(2026, 6, 2))
    assert history(case) == [(S.OPEN, FILED), (S.PARTIALLY_REIMBURSED, dt.date(2026, 6, 2))]
    assert refreshed(case).last_event_on == dt.date(2026, 6, 2)


def test_an_older_reimbursement_reported_late_never_moves_the_last_update_back(acme_amazon):
    case = make_case(acme_amazon, date_filed=FILED, units_claimed=3)
    add_record(case, "20.00", on=dt.date(2026, 7, 1))
    add_record(case, "20.00", on=dt.date(2026, 6, 1))
    assert history(case)[-1] == (S.PARTIALLY_REIMBURSED, dt.date(2026, 6, 1))
    assert refreshed(case).last_event_on == dt.date(2026, 7, 1)


def test_closing_dates_the_case_and_its_line_by_the_marketplaces_answer(acme_amazon, staff_user):
    case = make_case(acme_amazon, date_filed=FILED)
    case = case_transition(case=case, to_status=S.NOT_ELIGIBLE, actor=staff_user, reason="Too late",
                           answered_on=dt.date(2026, 6, 20))
    case = case_transition(case=case, to_status=S.CLOSED, actor=staff_user, reason="Final",
                           answered_on=dt.date(2026, 7, 4))
    assert history(case)[1:] == [(S.NOT_ELIGIBLE, dt.date(2026, 6, 20)), (S.CLOSED, dt.date(2026, 7, 4))]
    assert (case.closed_on, case.last_event_on) == (dt.date(2026, 7, 4), dt.date(2026, 7, 4))


def test_reopening_is_dated_by_the_answer_and_so_is_the_status_it_then_takes(acme_amazon, staff_user):
    case = make_case(acme_amazon, date_filed=FILED, units_claimed=2)
    add_record(case, "20.00", on=dt.date(2026, 6, 2))
    case = case_transition(case=refreshed(case), to_status=S.CLOSED, actor=staff_user, reason="Final",
                           answered_on=dt.date(2026, 6, 10))
    case = case_transition(case=case, to_status=S.OPEN, actor=staff_user, reason="Seller found the invoice",
                           answered_on=dt.date(2026, 6, 30))
    assert history(case)[-2:] == [(S.OPEN, dt.date(2026, 6, 30)), (S.PARTIALLY_REIMBURSED, dt.date(2026, 6, 30))]
    assert (case.closed_on, case.last_event_on) == (None, dt.date(2026, 6, 30))


@pytest.mark.parametrize("answered_on, why", [
    (timezone.localdate() + dt.timedelta(days=1), "is in the future"),
    (FILED - dt.timedelta(days=1), "is before the filing date 2026-05-10"),
])
def test_an_answer_date_the_case_cannot_have_is_refused_and_nothing_changes(acme_amazon, staff_user,
                                                                          answered_on, why):
    case = make_case(acme_amazon, date_filed=FILED)
    with pytest.raises(TransitionNotAllowed, match=why) as refusal:
        case_transition(case=case, to_status=S.CLOSED, actor=staff_user, reason="Final", answered_on=answered_on)
    assert str(refusal.value).startswith(f"Case {case.marketplace_case_id} cannot go from Open to Closed: the answer date")
    assert refusal.value.to_status == S.CLOSED
    case = refreshed(case)
    assert (case.status, case.closed_on, case.last_event_on, len(history(case))) == (S.OPEN, None, FILED, 1)


def test_a_void_is_dated_by_the_day_staff_voided_not_by_the_approval_of_what_it_cancels(acme_amazon, staff_user):
    case = make_case(acme_amazon, date_filed=FILED, units_claimed=2)
    record = add_record(case, "20.00", on=dt.date(2026, 6, 2))
    record_void(record=record, actor=staff_user, reason="Typed twice")
    assert history(case)[-1] == (S.OPEN, timezone.localdate())
    assert refreshed(case).last_event_on == timezone.localdate()


def test_correcting_the_filing_date_needs_a_reason_which_the_timeline_shows(acme_amazon, staff_user):
    case = make_case(acme_amazon, date_filed=FILED)
    case.date_filed = dt.date(2026, 5, 12)
    with pytest.raises(CaseRefused, match="filing date 2026-05-10 → 2026-05-12"):
        case_update(case=case, actor=staff_user)
    assert refreshed(case).date_filed == FILED
    case_update(case=case, actor=staff_user, reason="Typo")
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.reason == "Claim corrected (filing date 2026-05-10 → 2026-05-12): Typo"
    assert event.happened_on == timezone.localdate()


def test_a_claim_correction_is_the_cases_last_update(acme_amazon, staff_user):
    case = make_case(acme_amazon, date_filed=FILED)
    case.claimed_amount = Decimal("60.00")
    case_update(case=case, actor=staff_user, reason="The seller sent the invoice")
    assert refreshed(case).last_event_on == timezone.localdate()


def test_a_claim_correction_never_moves_the_last_update_back(acme_amazon, staff_user):
    """A reimbursement the marketplace dates a day ahead of ours (its clock near midnight) is the case's
    last update; a correction made today leaves it there."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    case = make_case(acme_amazon, date_filed=FILED, units_claimed=2)
    add_record(case, "20.00", on=tomorrow)
    case = refreshed(case)
    case.claimed_amount = Decimal("60.00")
    case_update(case=case, actor=staff_user, reason="The seller sent the invoice")
    assert refreshed(case).last_event_on == tomorrow


def test_the_seller_reads_when_it_happened_and_apart_when_it_was_recorded(alice_client, acme, acme_amazon,
                                                                          staff_user):
    case = make_case(acme_amazon, date_filed=FILED, units_claimed=2)
    add_record(case, "20.00", on=dt.date(2026, 6, 2))
    case_transition(case=refreshed(case), to_status=S.CLOSED, actor=staff_user, reason="Final",
                    answered_on=dt.date(2026, 9, 18))
    response = alice_client.get(reverse("cases:detail", args=[acme.slug, case.pk]))
    html = response.content.decode()
    assert "<dt>Date filed</dt><dd>05/10/2026</dd>" in html
    assert "<dt>Closed</dt><dd>09/18/2026</dd>" in html
    assert "<dt>Last update</dt><dd>09/18/2026</dd>" in html
    lines = html.split('<ol class="timeline">')[1].split("</ol>")[0].split("<li>")[1:]
    assert ['datetime="2026-05-10"' in lines[0], 'datetime="2026-06-02"' in lines[1],
            'datetime="2026-09-18"' in lines[2]] == [True, True, True]
    assert all("Recorded " + timezone.localdate().strftime("%m/%d/%Y") in line for line in lines)


def test_a_claim_correction_moves_the_last_update_of_that_case_only(acme_amazon, staff_user):
    corrected = make_case(acme_amazon, date_filed=FILED)
    other = make_case(acme_amazon, date_filed=FILED)
    corrected.claimed_amount = Decimal("60.00")

    case_update(case=corrected, actor=staff_user, reason="The seller sent the invoice")

    assert refreshed(corrected).last_event_on == timezone.localdate()
    assert refreshed(other).last_event_on == FILED


def test_overriding_a_derived_claim_deadline_needs_a_reason_and_is_named_in_the_history(acme_amazon, staff_user):
    case = make_case(acme_amazon, date_filed=FILED, event_date=dt.date(2026, 4, 1),
                     claim_window_closes_on=dt.date(2026, 5, 31), claim_deadline=dt.date(2026, 5, 31))
    case.claim_deadline = dt.date(2026, 6, 15)

    with pytest.raises(CaseRefused) as refused:
        case_update(case=case, actor=staff_user, reason="")
    assert "edit_reason" in refused.value.message_dict
    assert refreshed(case).claim_deadline == dt.date(2026, 5, 31)

    case_update(case=case, actor=staff_user, reason="Amazon granted two more weeks")
    event = CaseEvent.objects.filter(case=case).order_by("id").last()
    assert "claim deadline" in event.reason.lower() and "Amazon granted two more weeks" in event.reason
    assert refreshed(case).claim_deadline == dt.date(2026, 6, 15)
