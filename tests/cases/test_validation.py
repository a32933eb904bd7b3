"""The rules of a claim, enforced by the case services themselves: a script cannot bypass the form."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope

from accounts.currencies import account_currencies
from cases.models import Case, CaseEvent, CaseStatus, ReimbursementRecord
from cases.services import TransitionNotAllowed, case_create, case_transition, case_update
from cases.validation import CaseRefused
from tests.factories import add_record, make_case, make_seller_account

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus
TODAY = timezone.localdate


def new_case(seller_account, **fields) -> Case:
    values = {
        "marketplace_case_id": "5550001", "reimbursement_type": "lost_warehouse", "units_claimed": 2,
        "claimed_amount": Decimal("40.00"), "currency": "USD", "date_filed": TODAY() - dt.timedelta(days=3),
        **fields,
    }
    return Case(seller_account=seller_account, **values)


def database_state(case: Case) -> dict:
    """What a refused edit must leave as it was: the case row, its history and its records."""
    return {
        "case": Case.objects.filter(pk=case.pk).values().get(),
        "events": list(CaseEvent.objects.filter(case=case).order_by("id").values_list("id", "reason")),
        "records": sorted(ReimbursementRecord.objects.filter(case=case).values_list("id", flat=True)),
    }


def relative_day(value):
    """Dates named relative to today are read when the test runs, not when the module is imported: a
    run that crosses midnight would otherwise file a case "tomorrow" that is already today."""
    days = {"tomorrow": 1, "a month ago": -30}
    return TODAY() + dt.timedelta(days=days[value]) if value in days else value


def refused_fields(refusal) -> set[str]:
    return set(refusal.value.message_dict)


@pytest.mark.parametrize("fields, field, says", [
    ({"claimed_amount": Decimal("0.00")}, "claimed_amount", "must be more than 0, not 0.00"),
    ({"claimed_amount": Decimal("-5.00")}, "claimed_amount", "must be more than 0, not -5.00"),
    ({"units_claimed": 0}, "units_claimed", "at least 1, not 0"),
    ({"date_filed": "tomorrow"}, "date_filed", "is in the future"),
    ({"claim_deadline": "a month ago"}, "claim_deadline", "is before the filing date"),
    ({"currency": "EUR"}, "currency", "Amazon NA A1ACMEAMAZON is paid in USD, CAD, MXN, BRL, never in EUR"),
])
def test_the_service_refuses_a_case_that_breaks_a_rule_naming_the_field(acme_amazon, staff_user, fields, field, says):
    fields = {name: relative_day(value) for name, value in fields.items()}
    with pytest.raises(CaseRefused) as refusal:
        case_create(case=new_case(acme_amazon, **fields), actor=staff_user)
    assert refused_fields(refusal) == {field}
    assert says in refusal.value.message_dict[field][0]
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()


def test_a_case_may_claim_any_currency_its_marketplace_pays_in(acme_amazon, acme_amazon_eu, staff_user):
    cad = case_create(case=new_case(acme_amazon, currency="CAD"), actor=staff_user)
    gbp = case_create(case=new_case(acme_amazon_eu, currency="GBP"), actor=staff_user)
    assert (cad.currency, gbp.currency) == ("CAD", "GBP")


def test_a_claim_on_an_amount_only_may_leave_units_empty(acme_amazon, staff_user):
    case = case_create(case=new_case(acme_amazon, units_claimed=None), actor=staff_user)
    assert case.units_claimed is None


def test_a_walmart_case_claims_in_dollars_only(acme, staff_user):
    walmart = make_seller_account(acme, "10005555", marketplace="walmart", region="", marketplace_ids=[])
    assert account_currencies(walmart) == ("USD",)
    with pytest.raises(CaseRefused, match="Walmart 10005555 is paid in USD, never in CAD"):
        case_create(case=new_case(walmart, currency="CAD"), actor=staff_user)


def test_an_amazon_account_without_a_region_takes_no_case_until_its_region_is_set(acme, staff_user):
    account = make_seller_account(acme, "A1NOREGION", region="")
    with pytest.raises(CaseRefused, match="has no region"):
        case_create(case=new_case(account), actor=staff_user)
    assert not Case.objects.exists()


@pytest.mark.parametrize("field, value", [
    ("claimed_amount", Decimal("55.00")), ("units_claimed", 3), ("units_claimed", None),
    ("currency", "CAD"), ("marketplace_case_id", "7770001"),
])
def test_an_edit_of_the_claim_without_a_reason_is_refused_and_changes_nothing(
    acme_amazon, staff_user, field, value
):
    case = make_case(acme_amazon, units_claimed=2)
    add_record(case, "20.00", cash=1)
    before = database_state(case)
    edited = Case.objects.get(pk=case.pk)
    setattr(edited, field, value)
    with pytest.raises(CaseRefused) as refusal:
        case_update(case=edited, actor=staff_user, reason="   ")
    assert refused_fields(refusal) == {"edit_reason"}
    assert database_state(case) == before


def test_an_edit_that_breaks_a_rule_is_refused_even_with_a_reason_and_changes_nothing(acme_amazon, staff_user):
    case = make_case(acme_amazon)
    before = database_state(case)
    edited = Case.objects.get(pk=case.pk)
    edited.claimed_amount, edited.currency = Decimal("0"), "EUR"
    edited.claim_deadline = edited.date_filed - dt.timedelta(days=1)
    with pytest.raises(CaseRefused) as refusal:
        case_update(case=edited, actor=staff_user, reason="Seller asked")
    assert refused_fields(refusal) == {"claimed_amount", "currency", "claim_deadline"}
    assert database_state(case) == before


def test_an_edit_of_a_note_needs_no_reason_and_adds_no_history(acme_amazon, staff_user):
    case = make_case(acme_amazon)
    events_before = CaseEvent.objects.filter(case=case).count()
    case.internal_note = "Chased by phone"
    case = case_update(case=case, actor=staff_user)
    assert case.internal_note == "Chased by phone"
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_a_claim_correction_is_in_the_history_with_what_changed_and_why(acme_amazon, staff_user):
    case = make_case(acme_amazon, claimed_amount=Decimal("40.00"))
    case.claimed_amount = Decimal("60.00")
    case = case_update(case=case, actor=staff_user, reason="The invoice shows 30.00 a unit")
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.from_status, event.to_status, event.actor) == (S.OPEN, S.OPEN, staff_user)
    assert event.reason == "Claim corrected (claimed amount 40.00 → 60.00): The invoice shows 30.00 a unit"


def test_an_edit_that_makes_a_case_fully_reimbursed_carries_the_staff_reason(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=3, claimed_amount=Decimal("60.00"))
    add_record(case, "20.00", cash=1)
    add_record(case, "20.00", cash=1)
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.PARTIALLY_REIMBURSED

    case.units_claimed = 2
    case = case_update(case=case, actor=staff_user, reason="Only two units were lost, says the seller")

    assert case.status == S.FULLY_REIMBURSED
    correction, status_change = CaseEvent.objects.filter(case=case).order_by("-id")[:2][::-1]
    assert correction.reason == "Claim corrected (units claimed 3 → 2): Only two units were lost, says the seller"
    assert (status_change.from_status, status_change.to_status) == (S.PARTIALLY_REIMBURSED, S.FULLY_REIMBURSED)
    assert status_change.reason.startswith("Only two units were lost, says the seller: recovered 40.00")
    assert not CaseEvent.objects.filter(reason__contains="Claim details edited").exists()


def test_a_transition_to_no_status_at_all_is_refused_with_a_plain_error(acme_amazon, staff_user):
    case = make_case(acme_amazon)
    with pytest.raises(TransitionNotAllowed, match="cannot go from Open to '': that is not a step"):
        case_transition(case=case, to_status="", actor=staff_user, reason="Clicked too fast")
    assert Case.objects.get(pk=case.pk).status == S.OPEN


def test_a_claim_change_without_any_reason_given_is_refused(acme_amazon, staff_user):
    case = make_case(acme_amazon, units_claimed=2)
    before = database_state(case)
    edited = Case.objects.get(pk=case.pk)
    edited.units_claimed = 3
    with pytest.raises(CaseRefused) as refusal:
        case_update(case=edited, actor=staff_user)
    assert refused_fields(refusal) == {"edit_reason"}
    assert database_state(case) == before


def test_an_edit_of_a_case_whose_tenant_was_changed_in_memory_finds_no_case_and_writes_nothing(
    acme_amazon, globex, staff_user,
):
    """The edit looks the case up by id and by the tenant the case says it belongs to: a case object
    pointing at another tenant is missing, not written as that tenant's."""
    case = make_case(acme_amazon, units_claimed=2)
    before = database_state(case)
    edited = Case.objects.get(pk=case.pk)
    edited.tenant_id, edited.units_claimed = globex.pk, 3
    with pytest.raises(Case.DoesNotExist):
        case_update(case=edited, actor=staff_user, reason="Three units")
    assert database_state(case) == before
    with scope(tenant=globex):
        assert not CaseEvent.objects.exists()
