"""The staff work queue in admin: ordered by window close and value, Create case, Dismiss, bulk actions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases.models import Case
from ledger.models import ClaimWindow, Opportunity, SkuPrice
from ledger.services import claim_windows_ensure, opportunities_detect
from tests.ledger.helpers import add_reimbursement, days_ago, import_rows, row

pytestmark = pytest.mark.usefixtures("acme_scope")
QUEUE = "admin:ledger_opportunity_changelist"


@pytest.fixture
def three(acme_amazon):
    add_reimbursement(acme_amazon, "10.00", fnsku="XCHEAP", case_reference="C1")
    add_reimbursement(acme_amazon, "50.00", fnsku="XDEAR", case_reference="C2")
    import_rows(acme_amazon, [
        row(fnsku="XCHEAP", ref="A", on=days_ago(45)), row(fnsku="XDEAR", ref="B", on=days_ago(45)),
        row(fnsku="XLATE", ref="C", on=days_ago(35), sku="SKU-LATE"),
    ])
    return {o.fnsku: o for o in Opportunity.objects.all()}


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_queue_lists_by_window_close_then_value(sam_client, three):
    response = sam_client.get(reverse(QUEUE))
    assert response.status_code == 200
    listed = [o.fnsku for o in response.context["cl"].result_list]
    assert listed == ["XDEAR", "XCHEAP", "XLATE"]
    assert "Create case" in response.content.decode()


def test_the_queue_filters_by_state(sam_client, three, sam):
    from ledger.services import opportunity_dismiss
    opportunity_dismiss(opportunity=three["XLATE"], actor=sam, reason="test")
    response = sam_client.get(reverse(QUEUE), {"state": "dismissed"})
    assert [o.fnsku for o in response.context["cl"].result_list] == ["XLATE"]


def test_create_case_is_pre_filled_and_links_the_case(sam_client, three):
    url = reverse("admin:ledger_opportunity_create_case", args=[three["XDEAR"].pk])
    form = sam_client.get(url).context["form"]
    assert (form.initial["fnsku"], form.initial["units_claimed"], form.initial["claimed_amount"],
            form.initial["claim_deadline"]) == ("XDEAR", 1, Decimal("50.00"), three["XDEAR"].window_closes_on)
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data["marketplace_case_id"] = "7700000001"
    response = sam_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    case = Case.objects.get(marketplace_case_id="7700000001")
    assert Opportunity.objects.get(pk=three["XDEAR"].pk).case == case
    assert (case.event_date, case.claimed_amount, case.currency) == (days_ago(45), Decimal("50.00"), "USD")


def test_dismiss_asks_for_a_reason(sam_client, three):
    url = reverse("admin:ledger_opportunity_dismiss", args=[three["XCHEAP"].pk])
    response = sam_client.post(url, {"reason": ""})
    assert response.status_code == 200 and response.context["form"].errors
    assert Opportunity.objects.get(pk=three["XCHEAP"].pk).dismissed_at is None
    sam_client.post(url, {"reason": "Below what a claim costs"})
    assert Opportunity.objects.get(pk=three["XCHEAP"].pk).dismiss_reason == "Below what a claim costs"


def test_bulk_dismiss_asks_once_for_the_reason_then_dismisses_all(sam_client, three):
    ids = [str(three["XCHEAP"].pk), str(three["XLATE"].pk)]
    response = sam_client.post(reverse(QUEUE), {"action": "dismiss_selected", "_selected_action": ids})
    assert response.status_code == 200 and "Dismiss these 2 opportunities" in response.content.decode()
    assert not Opportunity.objects.filter(dismissed_at__isnull=False).exists()
    response = sam_client.post(reverse(QUEUE), {"action": "dismiss_selected", "_selected_action": ids,
                                                "apply": "1", "reason": "Sold as used"})
    assert "2 dismissed." in messages_of(response)
    assert set(Opportunity.objects.filter(dismissed_at__isnull=False).values_list("fnsku", flat=True)) == {
        "XCHEAP", "XLATE"}


def test_a_staff_price_values_the_skus_opportunities(sam_client, acme_amazon, three):
    response = sam_client.post(reverse("admin:ledger_skuprice_add"), {
        "seller_account": acme_amazon.pk, "sku": "SKU-LATE", "amount": "8.00", "currency": "USD"})
    assert response.status_code == 302
    assert SkuPrice.objects.get().tenant == acme_amazon.tenant
    late = Opportunity.objects.get(fnsku="XLATE")
    assert (late.amount, late.value_source) == (Decimal("8.00"), "staff_price")


def test_deleting_a_staff_price_leaves_the_skus_opportunities_unvalued_again(staff_client, acme_amazon, three):
    staff_client.post(reverse("admin:ledger_skuprice_add"), {
        "seller_account": acme_amazon.pk, "sku": "SKU-LATE", "amount": "8.00", "currency": "USD"})
    price = SkuPrice.objects.get()

    response = staff_client.post(reverse("admin:ledger_skuprice_delete", args=[price.pk]), {"post": "yes"})

    assert response.status_code == 302
    late = Opportunity.objects.get(fnsku="XLATE")
    assert (late.amount, late.value_source) == (None, "unvalued")


def test_staff_edit_claim_windows_in_admin_and_detection_follows(sam_client, acme_amazon, three):
    claim_windows_ensure()
    window = ClaimWindow.objects.get(marketplace="amazon", claim_type="lost_warehouse")
    assert (window.opens_after_days, window.closes_after_days) == (30, 60)
    response = sam_client.post(reverse("admin:ledger_claimwindow_change", args=[window.pk]), {
        "marketplace": "amazon", "claim_type": "lost_warehouse", "opens_after_days": "20",
        "closes_after_days": "50", "note": "changed"})
    assert response.status_code == 302
    assert messages_of(response)[0] == "3 identified amounts changed to follow the claim window."
    assert Opportunity.objects.get(fnsku="XLATE").window_closes_on == days_ago(35) + dt.timedelta(days=50)
    assert Opportunity.objects.get(fnsku="XLATE").window_opens_on == days_ago(35) + dt.timedelta(days=20)


def test_a_claim_window_changed_in_the_list_reaches_every_tenants_identified_amounts(
    sam_client, acme_amazon, globex_amazon, three
):
    from django_scopes import scope

    with scope(tenant=globex_amazon.tenant):
        import_rows(globex_amazon, [row(fnsku="XGLOBEX", ref="G", on=days_ago(35))])
    claim_windows_ensure()
    windows = list(ClaimWindow.objects.all())
    form = {"form-TOTAL_FORMS": str(len(windows)), "form-INITIAL_FORMS": str(len(windows)), "_save": "Save"}
    for number, window in enumerate(windows):
        closes = 45 if (window.marketplace, window.claim_type) == ("amazon", "lost_warehouse") else window.closes_after_days
        form |= {f"form-{number}-id": str(window.pk), f"form-{number}-opens_after_days": str(window.opens_after_days),
                 f"form-{number}-closes_after_days": str(closes)}

    response = sam_client.post(reverse("admin:ledger_claimwindow_changelist"), form)

    assert response.status_code == 302
    with scope(tenant=globex_amazon.tenant):
        assert Opportunity.objects.get(fnsku="XGLOBEX").window_closes_on == days_ago(35) + dt.timedelta(days=45)
    assert Opportunity.objects.get(fnsku="XLATE").window_closes_on == days_ago(35) + dt.timedelta(days=45)
    assert Opportunity.objects.get(fnsku="XDEAR").window_closes_on == days_ago(45) + dt.timedelta(days=45)


def test_deleting_a_claim_window_gives_its_identified_amounts_the_default_again(staff_client, acme_amazon, three):
    claim_windows_ensure()
    window = ClaimWindow.objects.get(marketplace="amazon", claim_type="lost_warehouse")
    ClaimWindow.objects.filter(pk=window.pk).update(closes_after_days=40)
    opportunities_detect(seller_account=acme_amazon)
    assert Opportunity.objects.get(fnsku="XLATE").window_closes_on == days_ago(35) + dt.timedelta(days=40)

    response = staff_client.post(reverse("admin:ledger_claimwindow_delete", args=[window.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert Opportunity.objects.get(fnsku="XLATE").window_closes_on == days_ago(35) + dt.timedelta(days=60)
