"""Staff forms that prevent mistakes: each refusal names its field, and a refused form writes nothing."""

import datetime as dt
import threading
import time
from decimal import Decimal

import psycopg
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseStatus
from cases.services import case_transition
from tests.factories import add_record, make_case
from tests.cases.test_admin import case_form, status_url
from tests.two_factor import login_verified

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus
ADD_URL = reverse("admin:cases_case_add")


def change_url(case):
    return reverse("admin:cases_case_change", args=[case.pk])


def edit_form(case, **overrides):
    """The change form as staff see it, posted back with `overrides`."""
    shown = {
        "marketplace_case_id": case.marketplace_case_id, "units_claimed": str(case.units_claimed),
        "claimed_amount": str(case.claimed_amount), "currency": case.currency,
        "date_filed": case.date_filed.isoformat(), "internal_note": case.internal_note,
    }
    return case_form(case.seller_account, **{**shown, **overrides})


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def row_and_history(case) -> tuple:
    return (Case.objects.filter(pk=case.pk).values().get(),
            list(CaseEvent.objects.filter(case=case).values_list("id", flat=True)))


def test_the_status_form_preselects_no_outcome(sam_client, acme_amazon):
    case = make_case(acme_amazon)
    response = sam_client.get(status_url(case))
    choices = [value for value, _ in response.context["form"].fields["to_status"].choices]
    assert choices == ["", S.CLOSED, S.NOT_ELIGIBLE]
    page = response.content.decode()
    assert '<option value="" selected>' in page
    assert f'<option value="{S.CLOSED}" selected>' not in page


def test_a_reopen_reason_posted_without_a_chosen_status_changes_nothing(sam_client, acme_amazon, staff_user):
    case = make_case(acme_amazon)
    case_transition(case=case, to_status=S.CLOSED, actor=staff_user, reason="Gave up")
    before = row_and_history(case)
    response = sam_client.post(status_url(case), {"from_status": S.CLOSED, "reason": "Seller found the invoice"})
    assert response.status_code == 200
    assert response.context["form"].errors["to_status"] == ["Choose the new status: none is chosen for you."]
    assert row_and_history(case) == before


def test_the_change_form_offers_only_the_currencies_the_account_is_paid_in(sam_client, acme_amazon, acme_amazon_eu):
    for account, currencies in ((acme_amazon, ["USD", "CAD", "MXN", "BRL"]),
                                (acme_amazon_eu, ["EUR", "GBP", "SEK", "PLN"])):
        case = make_case(account, currency=currencies[0])
        field = sam_client.get(change_url(case)).context["adminform"].form.fields["currency"]
        offered = [value for value, _ in field.choices]
        assert offered[0] == ""
        assert offered[1:len(currencies) + 1] == currencies
        assert ("EUR" in offered) == (account == acme_amazon_eu)


def test_a_new_case_in_a_currency_the_chosen_account_is_not_paid_in_is_refused(sam_client, acme_amazon):
    response = sam_client.post(ADD_URL, case_form(acme_amazon, currency="EUR"))
    assert response.status_code == 200
    assert form_errors(response)["currency"] == ["Amazon NA A1ACMEAMAZON is paid in USD, CAD, MXN, BRL, never in EUR."]
    assert not Case.objects.exists()


def test_a_new_case_without_a_chosen_currency_is_refused(sam_client, acme_amazon):
    response = sam_client.post(ADD_URL, case_form(acme_amazon, currency=""))
    assert "currency" in form_errors(response)
    assert not Case.objects.exists()


@pytest.mark.parametrize("overrides, field", [
    ({"claimed_amount": "0"}, "claimed_amount"),
    ({"claimed_amount": "-10.00"}, "claimed_amount"),
    ({"units_claimed": "0"}, "units_claimed"),
    ({"date_filed": "tomorrow"}, "date_filed"),
    ({"date_filed": "2026-11-20", "claim_deadline": "2026-11-19"}, "claim_deadline"),
])
def test_a_new_case_that_breaks_a_rule_is_refused_naming_the_field(sam_client, acme_amazon, overrides, field):
    if overrides.get("date_filed") == "tomorrow":  # read when the test runs, so that midnight cannot pass between
        overrides = {**overrides, "date_filed": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}
    response = sam_client.post(ADD_URL, case_form(acme_amazon, **overrides))
    assert response.status_code == 200
    assert list(form_errors(response)) == [field]
    assert not Case.objects.exists()


def test_a_case_with_a_deadline_on_its_filing_day_is_recorded(sam_client, acme_amazon):
    response = sam_client.post(ADD_URL, case_form(acme_amazon, date_filed="2026-11-20", claim_deadline="2026-11-20"))
    assert response.status_code == 302
    assert Case.objects.get().claim_deadline == dt.date(2026, 11, 20)


def test_the_reason_field_shows_on_the_change_form_only(sam_client, acme_amazon):
    case = make_case(acme_amazon)
    assert 'name="edit_reason"' in sam_client.get(change_url(case)).content.decode()
    assert 'name="edit_reason"' not in sam_client.get(ADD_URL).content.decode()


@pytest.mark.parametrize("overrides", [
    {"claimed_amount": "45.00"}, {"units_claimed": "3"}, {"units_claimed": ""}, {"currency": "CAD"},
])
def test_an_edit_of_the_claim_without_a_reason_is_refused_and_changes_nothing(sam_client, acme_amazon, overrides):
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(case, "20.00", cash=1)
    before = row_and_history(case)
    response = sam_client.post(change_url(case), edit_form(case, **overrides))
    assert response.status_code == 200
    assert list(form_errors(response)) == ["edit_reason"]
    assert "the seller sees this change" in form_errors(response)["edit_reason"][0]
    assert row_and_history(case) == before


def test_an_edit_of_a_note_needs_no_reason(sam_client, acme_amazon):
    case = make_case(acme_amazon)
    response = sam_client.post(change_url(case), edit_form(case, internal_note="Called the seller"))
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).internal_note == "Called the seller"


def test_the_reason_for_a_claim_edit_is_on_the_sellers_timeline(sam_client, sam, alice, acme, acme_amazon):
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(case, "20.00", cash=1)
    response = sam_client.post(change_url(case), edit_form(
        case, units_claimed="1", claimed_amount="20.00", edit_reason="The seller found one unit in stock",
    ))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.FULLY_REIMBURSED
    latest = CaseEvent.objects.filter(case=case).latest("id")
    assert (latest.to_status, latest.actor) == (S.FULLY_REIMBURSED, sam)
    assert latest.reason.startswith("The seller found one unit in stock: recovered 20.00 of 20.00 USD")

    seller = Client()
    seller.force_login(alice)
    page = seller.get(reverse("cases:detail", args=[acme.slug, case.pk])).content.decode()
    assert "Claim corrected (units claimed 2 → 1; claimed amount 40.00 → 20.00): " \
           "The seller found one unit in stock" in page
    assert "Claim details edited" not in page


def wait_until_a_query_waits_for_a_lock(other) -> None:
    """Poll pg_stat_activity, clearing its snapshot each time (`other` is inside a transaction)."""
    deadline = time.monotonic() + 30
    while True:
        other.execute("SELECT pg_stat_clear_snapshot()")
        waiting = other.execute("SELECT count(*) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND wait_event_type = 'Lock'").fetchone()[0]
        if waiting:
            return
        assert time.monotonic() < deadline, "the admin request never waited for the case's row"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_claim_changed_by_someone_else_meanwhile_refuses_the_edit_and_saves_nothing(sam, acme_amazon):
    case = make_case(acme_amazon, claimed_amount=Decimal("40.00"))
    events_before = CaseEvent.objects.filter(case=case).count()
    answers = []
    form = edit_form(case, internal_note="Called the seller")

    def post_a_note_in_another_thread():
        try:
            client = Client()
            login_verified(client, sam)
            answers.append(client.post(change_url(case), form))
        finally:
            connection.close()

    database = connection.settings_dict
    with psycopg.connect(host=database["HOST"] or None, port=database["PORT"] or None,
                         dbname=database["NAME"], user=database["USER"] or None) as other:
        other.execute("SELECT set_config('app.tenant_ids', %s, true)", [str(case.tenant_id)])
        other.execute("UPDATE cases_case SET claimed_amount = 55 WHERE id = %s", [case.pk])
        staff = threading.Thread(target=post_a_note_in_another_thread)
        staff.start()
        wait_until_a_query_waits_for_a_lock(other)
        other.commit()
    staff.join(timeout=30)

    [response] = answers
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Nothing changed. edit_reason: Say why (claimed amount 55.00 → 40.00)")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.claimed_amount, stored.internal_note) == (Decimal("55.00"), case.internal_note)
    assert CaseEvent.objects.filter(case=case).count() == events_before
