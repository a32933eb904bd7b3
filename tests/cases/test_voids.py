"""A way back: staff void a record or a whole import with a reason; the figures, rollups and the seller's
timeline follow, nothing is edited or deleted, and voiding twice changes nothing (issue 8, found 3)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases.models import Case, CaseEvent, CaseStatus, EventSource, MonthlyRecovery, RecordOrigin, ReimbursementRecord
from cases.records import record_add_manual
from cases.rollups import rollup_differences
from cases.voids import VoidRefused, record_void, records_void
from sync.ingest import import_report
from sync.models import RunKind
from sync.voids import run_void
from tests.factories import make_case
from tests.cases.test_records import manual_fields, money_snapshot, report_lines

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus


@pytest.fixture
def lost_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="1000000001", units_claimed=2, claimed_amount=Decimal("40.00"))


@pytest.fixture
def damaged_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="1000000002", units_claimed=2, claimed_amount=Decimal("30.00"))


@pytest.fixture
def run(lost_case, damaged_case):
    return import_report(seller_account=lost_case.seller_account, lines=report_lines(), source="may.tsv",
                         kind=RunKind.FILE)


def figures(case):
    case = Case.objects.get(pk=case.pk)
    return case.status, case.recovered_amount, case.units_reimbursed_cash, case.last_reimbursed_on


def monthly(account):
    return {(row.month, row.automatic): (row.amount, row.record_count)
            for row in MonthlyRecovery.objects.filter(seller_account=account)}


def test_voiding_a_record_takes_its_money_back_and_tells_the_seller_why(sam, lost_case):
    before = figures(lost_case)
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam,
                               **manual_fields(quantity_cash=2, amount_total=Decimal("40.00")))
    assert figures(lost_case)[:2] == (S.FULLY_REIMBURSED, Decimal("40.00"))

    result = record_void(record=record, actor=sam, reason="Typed into the wrong case")

    assert (result.records_voided, result.cases_changed, result.status_changes) == (1, 1, 1)
    assert figures(lost_case) == before
    record.refresh_from_db()
    void = ReimbursementRecord.objects.get(voids=record)
    assert record.voided_at is not None and record.amount_total == Decimal("40.00"), "the original is kept as it was"
    assert (void.origin, void.amount_total, void.quantity_cash, void.case_id, void.approval_date) == (
        RecordOrigin.VOID, Decimal("-40.00"), -2, lost_case.pk, record.approval_date)
    event = CaseEvent.objects.filter(case=lost_case).latest("id")
    assert (event.from_status, event.to_status, event.actor, event.source, event.record) == (
        S.FULLY_REIMBURSED, S.OPEN, sam, EventSource.STAFF, void)
    assert event.reason.startswith(
        "Reimbursement 5001 voided by the reimbursement team: Typed into the wrong case: recovered 0.00 of 40.00")
    assert rollup_differences(tenant_id=lost_case.tenant_id) == []


def test_voiding_a_record_twice_changes_nothing(sam, lost_case):
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    record_void(record=record, actor=sam, reason="Mistake")
    before = money_snapshot()
    assert record_void(record=record, actor=sam, reason="Mistake again").records_voided == 0
    assert money_snapshot() == before


def test_a_void_cannot_be_voided_nor_a_void_given_without_a_reason(sam, lost_case):
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    before = money_snapshot()
    with pytest.raises(VoidRefused) as refusal:
        record_void(record=record, actor=sam, reason="  ")
    assert str(refusal.value) == "A reason is required to void: it is shown on the seller's timeline."
    assert money_snapshot() == before
    record_void(record=record, actor=sam, reason="Mistake")
    with pytest.raises(VoidRefused, match="is itself a void"):
        record_void(record=ReimbursementRecord.objects.get(voids=record), actor=sam, reason="Undo")


def test_a_voided_record_cannot_be_unvoided_in_the_database(sam, lost_case):
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    record_void(record=record, actor=sam, reason="Mistake")
    with pytest.raises(IntegrityError, match="a void once"), transaction.atomic():
        ReimbursementRecord.objects.filter(pk=record.pk).update(voided_at=None)


def test_a_voided_manual_record_can_be_entered_again_correctly(sam, lost_case):
    wrong = record_add_manual(seller_account=lost_case.seller_account, actor=sam,
                              **manual_fields(approval_date=dt.datetime(2025, 5, 20, tzinfo=dt.UTC)))
    record_void(record=wrong, actor=sam, reason="Wrong approval date")
    record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    assert figures(lost_case)[:2] == (S.PARTIALLY_REIMBURSED, Decimal("20.00"))
    assert figures(lost_case)[3] == dt.date(2026, 5, 20), "the voided record's date no longer counts"


def test_voiding_an_import_puts_every_figure_back(sam, lost_case, damaged_case, acme_amazon):
    before = (figures(lost_case), figures(damaged_case))
    run = import_report(seller_account=acme_amazon, lines=report_lines(), source="may.tsv", kind=RunKind.FILE)
    assert figures(lost_case)[0] == S.PARTIALLY_REIMBURSED and figures(damaged_case)[0] == S.FULLY_REIMBURSED

    result = run_void(run=run, actor=sam, reason="Uploaded to the wrong account")

    assert (result.records_voided, result.cases_changed) == (4, 2)
    assert (figures(lost_case), figures(damaged_case)) == before
    assert all(amount == 0 and count == 0 for amount, count in monthly(acme_amazon).values())
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []
    run.refresh_from_db()
    assert (run.voided_by, run.void_reason) == (sam, "Uploaded to the wrong account") and run.voided_at
    reasons = list(CaseEvent.objects.filter(case__in=[lost_case, damaged_case], source=EventSource.STAFF, actor=sam)
                   .values_list("reason", flat=True))
    assert len(reasons) == 2
    assert all(r.startswith("Import may.tsv voided by the reimbursement team: Uploaded to the wrong account") for r in reasons)


def test_voiding_an_import_twice_changes_nothing_and_a_new_download_does_not_bring_it_back(sam, run, acme_amazon):
    run_void(run=run, actor=sam, reason="Wrong file")
    before = money_snapshot()

    assert run_void(run=run, actor=sam, reason="Wrong file").records_voided == 0
    again = import_report(seller_account=acme_amazon, lines=report_lines(), source="may.tsv", kind=RunKind.FILE)

    assert again.rows_new == 0, "voided lines stay stored: the next poll's overlapping window adds nothing"
    assert money_snapshot() == before


def test_voiding_an_import_leaves_the_records_typed_in_by_hand_that_it_confirmed(sam, lost_case, damaged_case):
    account = lost_case.seller_account
    manual = record_add_manual(seller_account=account, actor=sam, **manual_fields())
    run = import_report(seller_account=account, lines=report_lines(), source="may.tsv", kind=RunKind.FILE)
    assert run_void(run=run, actor=sam, reason="Wrong file").records_voided == 3
    manual.refresh_from_db()
    assert manual.voided_at is None
    assert figures(lost_case)[1] == Decimal("20.00")
    assert rollup_differences(tenant_id=account.tenant_id) == []


def test_the_seller_page_lists_only_the_records_that_count(alice_client, sam, lost_case):
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    record_void(record=record, actor=sam, reason="Typed into the wrong case")
    page = alice_client.get(reverse("cases:detail", args=["acme", lost_case.pk])).content.decode()
    assert "No reimbursement recorded for this case yet." in page
    assert "Typed into the wrong case" in page


def test_staff_void_a_record_in_admin_with_a_required_reason(sam_client, sam, lost_case):
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    url = reverse("admin:cases_reimbursementrecord_void", args=[record.pk])
    change = sam_client.get(reverse("admin:cases_reimbursementrecord_change", args=[record.pk]))
    assert url in change.content.decode()
    before = money_snapshot()

    refused = sam_client.post(url, {"reason": ""})

    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    assert money_snapshot() == before
    assert sam_client.post(url, {"reason": "Entered twice by mistake"}).status_code == 302
    assert ReimbursementRecord.objects.filter(voids=record).exists()
    assert figures(lost_case)[1] == Decimal("0.00")


def test_staff_void_an_import_in_admin(sam_client, run, lost_case):
    url = reverse("admin:sync_syncrun_void", args=[run.pk])
    assert url in sam_client.get(reverse("admin:sync_syncrun_change", args=[run.pk])).content.decode()
    assert sam_client.post(url, {"reason": "Wrong account"}).status_code == 302
    assert figures(lost_case)[0] == S.OPEN
    assert rollup_differences(tenant_id=lost_case.tenant_id) == []


def test_a_standard_user_cannot_void(alice_client, run):
    response = alice_client.post(reverse("admin:sync_syncrun_void", args=[run.pk]), {"reason": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not ReimbursementRecord.objects.filter(origin=RecordOrigin.VOID).exists()


def test_voiding_needs_to_be_told_which_records_and_says_so(sam, lost_case):
    before = money_snapshot()
    with pytest.raises(ValueError) as refusal:
        records_void(seller_account=lost_case.seller_account, actor=sam, reason="Mistake", what="Nothing")
    assert str(refusal.value) == "records_void needs record_ids or sync_run_id"
    assert money_snapshot() == before


def test_voiding_a_record_of_units_returned_to_inventory_takes_the_units_back(sam, lost_case):
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam,
                               **manual_fields(quantity_cash=0, quantity_inventory=2, amount_total=Decimal("0.00")))
    case = Case.objects.get(pk=lost_case.pk)
    assert (case.status, case.units_reimbursed_inventory) == (S.FULLY_REIMBURSED, 2)

    record_void(record=record, actor=sam, reason="Units never came back")

    case = Case.objects.get(pk=lost_case.pk)
    assert (case.status, case.units_reimbursed_inventory) == (S.OPEN, 0)


def test_a_void_handed_to_the_void_service_is_left_alone(sam, lost_case):
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    record_void(record=record, actor=sam, reason="Mistake")
    void = ReimbursementRecord.objects.get(voids=record)
    before = money_snapshot()

    result = records_void(seller_account=lost_case.seller_account, actor=sam, reason="Undo", what="Void",
                          record_ids=[void.pk])

    assert result.records_voided == 0
    assert money_snapshot() == before
