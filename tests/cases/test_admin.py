"""The reimbursement team works in Django admin: every write goes through the case services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Marketplace
from cases.models import Case, CaseEvent, CaseStatus, EventSource, ReimbursementRecord
from cases.records import record_add_manual
from tests.factories import add_record, make_case, make_seller_account, make_team, make_user
from tests.two_factor import login_verified

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus
NO_INLINES = {
    "records-TOTAL_FORMS": "0", "records-INITIAL_FORMS": "0",
    "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
}


@pytest.fixture
def acme_walmart(acme):
    return make_seller_account(acme, "10009999", marketplace=Marketplace.WALMART, region="", marketplace_ids=[])




def case_form(seller_account, **overrides):
    return {
        "seller_account": seller_account.pk, "marketplace_case_id": "1234567890",
        "reimbursement_type": "lost_warehouse", "asin": "B000TEST01", "sku": "SKU-9", "fnsku": "",
        "product_title": "Red widget", "order_id": "", "shipment_id": "", "removal_order_id": "",
        "units_claimed": "3", "claimed_amount": "60.00", "currency": "USD", "date_filed": "2026-11-20",
        "claim_deadline": "", "seller_note": "", "internal_note": "Filed by phone", **NO_INLINES, **overrides,
    }


def status_url(case):
    return reverse("admin:cases_case_status", args=[case.pk])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_staff_create_a_case_in_admin_and_it_opens_with_a_history_entry(sam_client, sam, acme_amazon):
    response = sam_client.post(reverse("admin:cases_case_add"), case_form(acme_amazon))
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = Case.objects.get(marketplace_case_id="1234567890")
    assert (case.status, case.tenant_id, case.currency) == (S.OPEN, acme_amazon.tenant_id, "USD")
    event = CaseEvent.objects.get(case=case)
    assert (event.from_status, event.to_status, event.actor, event.source) == ("", S.OPEN, sam, EventSource.STAFF)


def test_a_case_with_an_unknown_currency_is_not_created(sam_client, acme_amazon):
    response = sam_client.post(reverse("admin:cases_case_add"), case_form(acme_amazon, currency="XYZ"))
    assert response.status_code == 200
    assert "currency" in response.context["adminform"].form.errors
    assert not Case.objects.exists()


def test_a_second_case_with_the_same_case_id_in_the_account_is_refused(sam_client, acme_amazon):
    make_case(acme_amazon, marketplace_case_id="1234567890")
    response = sam_client.post(reverse("admin:cases_case_add"), case_form(acme_amazon))
    assert "marketplace_case_id" in response.context["adminform"].form.errors
    assert Case.objects.count() == 1


def test_editing_a_case_keeps_its_status_and_figures_from_the_records(sam_client, sam, acme_amazon):
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(case, "20.00", cash=1)
    form = case_form(acme_amazon, marketplace_case_id=case.marketplace_case_id, status="closed",
                     recovered_amount="999.00", internal_note="Chased twice",
                     edit_reason="The seller found a third unit missing")
    response = sam_client.post(reverse("admin:cases_case_change", args=[case.pk]), form)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.recovered_amount, case.internal_note) == (
        S.PARTIALLY_REIMBURSED, Decimal("20.00"), "Chased twice")
    assert (case.units_claimed, case.claimed_amount) == (3, Decimal("60.00"))


def test_the_case_page_shows_history_read_only_and_a_change_status_link(sam_client, sam, acme_amazon):
    case = make_case(acme_amazon, actor=sam)
    response = sam_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert status_url(case) in page
    assert "Case filed" in page
    assert 'name="events-0-reason"' not in page
    assert "events-0-DELETE" not in page


def test_staff_record_not_eligible_with_a_reason_and_history_names_them(sam_client, sam, acme_amazon):
    case = make_case(acme_amazon)
    answered = case.date_filed + dt.timedelta(days=3)
    response = sam_client.post(status_url(case), {
        "from_status": S.OPEN, "to_status": S.NOT_ELIGIBLE, "reason": "Claim window had passed",
        "answered_on": answered.isoformat(),
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closed_on, case.last_event_on) == (S.NOT_ELIGIBLE, answered, answered)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.from_status, event.to_status, event.actor, event.reason, event.happened_on) == (
        S.OPEN, S.NOT_ELIGIBLE, sam, "Claim window had passed", answered)


def test_a_status_change_without_the_answer_date_is_refused(sam_client, acme_amazon):
    case = make_case(acme_amazon)
    response = sam_client.post(status_url(case), {
        "from_status": S.OPEN, "to_status": S.CLOSED, "reason": "Nothing more will come",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["answered_on"] == [
        "Give the day the marketplace answered: the seller's timeline is dated by it."]
    case.refresh_from_db()
    assert (case.status, case.closed_on) == (S.OPEN, None)


def test_an_answer_date_before_the_filing_is_refused(sam_client, acme_amazon):
    case = make_case(acme_amazon)
    response = sam_client.post(status_url(case), {
        "from_status": S.OPEN, "to_status": S.CLOSED, "reason": "Nothing more will come",
        "answered_on": (case.date_filed - dt.timedelta(days=1)).isoformat(),
    })
    [message] = messages_of(response)
    assert "is before the filing date" in message
    case.refresh_from_db()
    assert (case.status, case.closed_on) == (S.OPEN, None)


def test_reopening_a_closed_case_lets_its_records_decide_the_status(sam_client, sam, acme_amazon):
    case = make_case(acme_amazon, units_claimed=2)
    add_record(case, "20.00", cash=1)
    sam_client.post(status_url(case), {"from_status": S.PARTIALLY_REIMBURSED, "to_status": S.CLOSED,
                                       "reason": "Amazon will not pay the second unit",
                                       "answered_on": case.date_filed.isoformat()})
    sam_client.post(status_url(case), {"from_status": S.CLOSED, "to_status": S.OPEN,
                                       "reason": "Seller found the invoice",
                                       "answered_on": case.date_filed.isoformat()})
    case.refresh_from_db()
    assert (case.status, case.closed_on) == (S.PARTIALLY_REIMBURSED, None)


def test_the_status_form_offers_only_what_staff_may_do(sam_client, acme_amazon):
    case = make_case(acme_amazon, units_claimed=1)
    add_record(case, "40.00", cash=1)
    response = sam_client.get(status_url(case))
    choices = [value for value, _ in response.context["form"].fields["to_status"].choices]
    assert choices == ["", S.CLOSED]


def test_a_status_change_without_a_reason_is_refused(sam_client, acme_amazon):
    case = make_case(acme_amazon)
    response = sam_client.post(status_url(case), {"from_status": S.OPEN, "to_status": S.CLOSED, "reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    case.refresh_from_db()
    assert case.status == S.OPEN


def test_a_refused_transition_shows_an_error_and_changes_nothing(sam_client, acme_amazon):
    case = make_case(acme_amazon, units_claimed=1)
    add_record(case, "40.00", cash=1)
    events_before = CaseEvent.objects.filter(case=case).count()
    response = sam_client.post(status_url(case), {
        "from_status": S.OPEN, "to_status": S.NOT_ELIGIBLE, "reason": "Looked open on my screen",
        "answered_on": case.date_filed.isoformat(),
    })
    assert response.status_code == 200
    [message] = messages_of(response)
    assert "cannot go from Fully Reimbursed to Not Eligible" in message
    assert "cannot go from Fully Reimbursed to Not Eligible" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.FULLY_REIMBURSED
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_history_is_read_only_and_never_deletable(sam_client, sam, acme_amazon):
    case = make_case(acme_amazon, actor=sam)
    event = CaseEvent.objects.get(case=case)
    change_url = reverse("admin:cases_caseevent_change", args=[event.pk])
    assert sam_client.get(change_url).status_code == 200
    assert sam_client.post(change_url, {"reason": "rewritten"}).status_code == 403
    delete_url = reverse("admin:cases_caseevent_delete", args=[event.pk])
    assert sam_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert sam_client.get(reverse("admin:cases_caseevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.reason == "Case filed"


def test_cases_and_records_cannot_be_deleted_even_by_a_superuser(client, staff_user, acme_amazon):
    login_verified(client, staff_user)
    case = make_case(acme_amazon)
    record = add_record(case, "20.00")
    assert client.post(reverse("admin:cases_case_delete", args=[case.pk]), {"post": "yes"}).status_code == 403
    assert client.post(
        reverse("admin:cases_reimbursementrecord_delete", args=[record.pk]), {"post": "yes"}
    ).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()
    assert ReimbursementRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("url", ["/admin/", "/admin/cases/case/", "/admin/cases/case/add/"])
def test_a_standard_user_cannot_reach_the_admin(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def manual_record_form(seller_account, **overrides):
    return {
        "seller_account": seller_account.pk, "case_reference": "WFS100", "approval_date_0": "2026-11-20",
        "approval_date_1": "10:00:00", "reimbursement_id": "SETTLE-77", "reason": "Inbound discrepancy",
        "currency": "USD", "amount_per_unit": "20.00", "amount_total": "40.00", "quantity_cash": "2",
        "quantity_inventory": "0", "amazon_order_id": "", "sku": "", "fnsku": "", "asin": "",
        "product_name": "", "condition": "", "original_reimbursement_id": "", "original_reimbursement_type": "",
        **overrides,
    }


def test_staff_adding_a_record_by_hand_moves_the_case(sam_client, sam, acme_walmart):
    case = make_case(acme_walmart, marketplace_case_id="WFS100", units_claimed=2)
    response = sam_client.post(reverse("admin:cases_reimbursementrecord_add"), manual_record_form(acme_walmart))
    assert response.status_code == 302
    record = ReimbursementRecord.objects.get(reimbursement_id="SETTLE-77")
    assert (record.case, record.tenant_id, record.source, record.occurrence) == (
        case, acme_walmart.tenant_id, "Entered by sam", 1)
    case.refresh_from_db()
    assert (case.status, case.recovered_amount) == (S.FULLY_REIMBURSED, Decimal("40.00"))
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.to_status, event.actor, event.record, event.source) == (
        S.FULLY_REIMBURSED, sam, record, EventSource.STAFF)
    assert any("Matched to case WFS100" in m for m in messages_of(response))


def test_a_manual_record_in_an_unknown_currency_is_refused(sam_client, acme_walmart):
    response = sam_client.post(
        reverse("admin:cases_reimbursementrecord_add"), manual_record_form(acme_walmart, currency="DOLLARS")
    )
    assert response.status_code == 200
    assert "currency" in response.context["adminform"].form.errors
    assert not ReimbursementRecord.objects.exists()


def test_a_manual_record_in_another_currency_than_its_case_is_refused_on_the_form(sam_client, acme_amazon):
    make_case(acme_amazon, marketplace_case_id="WFS100", currency="USD")
    response = sam_client.post(
        reverse("admin:cases_reimbursementrecord_add"), manual_record_form(acme_amazon, currency="CAD")
    )
    assert response.status_code == 200
    assert "claims in USD" in str(response.context["adminform"].form.errors["currency"])
    assert not ReimbursementRecord.objects.exists()


def test_a_manual_record_in_a_currency_its_account_is_never_paid_in_is_refused_on_the_form(
    sam_client, acme_walmart
):
    response = sam_client.post(
        reverse("admin:cases_reimbursementrecord_add"), manual_record_form(acme_walmart, currency="EUR")
    )
    assert response.status_code == 200
    assert "is paid in USD, never in EUR" in str(response.context["adminform"].form.errors["currency"])
    assert not ReimbursementRecord.objects.exists()


def test_the_implausible_manual_record_of_the_issue_is_refused_field_by_field(sam_client, acme_amazon):
    """1 unit × 39.99 with a total of 500.00, in EUR on a USD account, approved in year 1."""
    response = sam_client.post(reverse("admin:cases_reimbursementrecord_add"), manual_record_form(
        acme_amazon, case_reference="NOSUCHCASE", currency="EUR", amount_per_unit="39.99", amount_total="500.00",
        quantity_cash="1", approval_date_0="0001-01-01",
    ))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "is paid in USD, CAD, MXN, BRL, never in EUR" in str(errors["currency"])
    assert "500.00 is not amount per unit 39.99 × 1 cash units = 39.99" in str(errors["amount_total"])
    assert "0001-01-01 is before 2000-01-01" in str(errors["approval_date"])
    assert not ReimbursementRecord.objects.exists()


def test_a_negative_manual_record_is_refused_unless_it_is_a_reversal(sam_client, acme_walmart):
    make_case(acme_walmart, marketplace_case_id="WFS100", units_claimed=2)
    negative = {"amount_total": "-20.00", "quantity_cash": "-1"}
    response = sam_client.post(reverse("admin:cases_reimbursementrecord_add"),
                               manual_record_form(acme_walmart, **negative))
    assert "only a reversal" in str(response.context["adminform"].form.errors["amount_total"])
    assert not ReimbursementRecord.objects.exists()
    response = sam_client.post(reverse("admin:cases_reimbursementrecord_add"), manual_record_form(
        acme_walmart, **negative, original_reimbursement_id="SETTLE-1", original_reimbursement_type="Lost"))
    assert response.status_code == 302
    assert ReimbursementRecord.objects.get().amount_total == Decimal("-20.00")


def test_the_manual_record_service_refuses_an_unknown_currency(sam, acme_walmart):
    with pytest.raises(ValidationError) as refusal:
        record_add_manual(
            seller_account=acme_walmart, actor=sam, case_reference="", reimbursement_id="X", reason="r",
            approval_date=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), currency="usd",
            amount_per_unit=Decimal("1"), amount_total=Decimal("1"),
        )
    assert refusal.value.message_dict == {"currency": ["'usd' is not an ISO 4217 currency code."]}
    assert not ReimbursementRecord.objects.exists()


def test_the_same_manual_record_entered_twice_counts_once(sam, acme_walmart):
    case = make_case(acme_walmart, marketplace_case_id="WFS200", units_claimed=4)
    fields = dict(case_reference="WFS200", reimbursement_id="S1", reason="Return dispute",
                  approval_date=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), currency="USD",
                  amount_per_unit=Decimal("20"), amount_total=Decimal("20"), quantity_cash=1)
    first = record_add_manual(seller_account=acme_walmart, actor=sam, **fields)
    with pytest.raises(ValidationError, match=f"already recorded: record {first.pk} "):
        record_add_manual(seller_account=acme_walmart, actor=sam, **fields)
    case.refresh_from_db()
    assert (case.status, case.recovered_amount, case.units_reimbursed_cash) == (
        S.PARTIALLY_REIMBURSED, Decimal("20.00"), 1)


def test_records_are_listed_read_only_with_match_filters(sam_client, acme_amazon):
    case = make_case(acme_amazon)
    matched = add_record(case, "20.00")
    automatic = add_record(acme_amazon, "5.00", case_reference="")
    changelist = reverse("admin:cases_reimbursementrecord_changelist")
    assert list(sam_client.get(changelist, {"match": "matched"}).context["cl"].result_list) == [matched]
    assert list(sam_client.get(changelist, {"match": "automatic"}).context["cl"].result_list) == [automatic]
    page = sam_client.get(reverse("admin:cases_reimbursementrecord_change", args=[matched.pk]))
    assert page.status_code == 200
    assert b'name="amount_total"' not in page.content


def test_staff_find_cases_by_search_and_filters(sam_client, acme_amazon, globex_amazon):
    mine = make_case(acme_amazon, sku="FIND-ME")
    make_case(globex_amazon, sku="OTHER")
    changelist = reverse("admin:cases_case_changelist")
    found = sam_client.get(changelist, {"q": "find-me"}).context["cl"].result_list
    assert list(found) == [mine]
    filters = {"tenant__id__exact": acme_amazon.tenant_id, "status__exact": "open",
               "reimbursement_type__exact": "lost_warehouse", "seller_account__marketplace__exact": "amazon",
               "seller_account__id__exact": acme_amazon.pk}
    assert list(sam_client.get(changelist, filters).context["cl"].result_list) == [mine]


@pytest.mark.parametrize("name", [
    "accounts_tenant", "accounts_selleraccount", "accounts_membership", "cases_case",
    "cases_reimbursementrecord", "cases_caseevent",
])
def test_staff_open_every_list_and_add_page(sam_client, acme_amazon, name):
    assert sam_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    add = sam_client.get(reverse(f"admin:{name}_add")).status_code
    assert add == (403 if name == "cases_caseevent" else 200)


def test_staff_without_the_group_cannot_change_a_status(client, acme_amazon):
    newcomer = make_user("newcomer", is_staff=True)
    make_team("Acme team", members=[newcomer], tenants=[acme_amazon.tenant])
    login_verified(client, newcomer)
    case = make_case(acme_amazon)
    response = client.post(status_url(case), {"from_status": S.OPEN, "to_status": S.CLOSED, "reason": "r"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == S.OPEN
