"""Every record once: a reimbursement entered by hand twice, or typed in and then brought by a report, counts
once; and a report that looks like another seller account's is refused (issue 8, found 1 and 2)."""

import contextvars
import datetime as dt
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import MARKETPLACE_CURRENCIES, Marketplace, Region
from cases.account_guard import WrongAccount
from cases.locks import LockNamespace
from cases.models import (
    Case, CaseEvent, CaseStatus, CaseTotals, MonthlyRecovery, RecordOrigin, ReimbursementRecord,
)
from cases.records import record_add_manual, records_insert_staged
from cases.rollups import rollup_differences
from cases.voids import record_void
from sync.ingest import CREATE_STAGING_SQL, ROW_COLUMNS, WrongAccountReport, copy_lines, import_report, ingest_report
from sync.models import RunKind, RunStatus, SyncRun
from sync.report import STAGING_COLUMNS, read_report_copy
from sync.services import account_poll
from tests.factories import make_case, make_seller_account
from tests.two_factor import login_verified
from tests.worker_helpers import make_sandbox_cases

pytestmark = pytest.mark.usefixtures("acme_scope")

DATA = Path(__file__).parent.parent / "data"
S = CaseStatus
APPROVED = dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC)


def money_snapshot():
    """Everything the money depends on, to prove that a refusal wrote nothing."""
    return (
        list(ReimbursementRecord.objects.order_by("id").values_list()),
        list(Case.objects.order_by("id").values_list()),
        list(CaseEvent.objects.order_by("id").values_list()),
        list(CaseTotals.objects.order_by("id").values_list()),
        list(MonthlyRecovery.objects.order_by("id").values_list()),
    )


def report_lines(name="report_basic.tsv"):
    return (DATA / name).read_text(encoding="utf-8").splitlines(keepends=True)


def manual_fields(**overrides):
    """Line 1 of report_basic.tsv (reimbursement 5001 for case 1000000001), as staff would type it."""
    return {
        "case_reference": "1000000001", "approval_date": APPROVED, "reimbursement_id": "5001",
        "reason": "Lost_Warehouse", "currency": "USD", "amount_per_unit": Decimal("20.00"),
        "amount_total": Decimal("20.00"), "quantity_cash": 1, "quantity_inventory": 0, "sku": "SKU-1",
        "fnsku": "X000000001", "asin": "B000000001", **overrides,
    }


def admin_form(account, **overrides):
    return {
        "seller_account": account.pk, "case_reference": "1000000001", "approval_date_0": "2026-05-20",
        "approval_date_1": "12:00:00", "reimbursement_id": "5001", "reason": "Lost_Warehouse",
        "currency": "USD", "amount_per_unit": "20.00", "amount_total": "20.00", "quantity_cash": "1",
        "quantity_inventory": "0", "amazon_order_id": "", "sku": "", "fnsku": "", "asin": "",
        "product_name": "", "condition": "", "original_reimbursement_id": "", "original_reimbursement_type": "",
        **overrides,
    }


@pytest.fixture
def lost_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="1000000001", units_claimed=2, claimed_amount=Decimal("40.00"))


@pytest.fixture
def damaged_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="1000000002", units_claimed=2, claimed_amount=Decimal("30.00"))


@pytest.fixture
def acme_walmart(acme):
    return make_seller_account(acme, "10009999", marketplace=Marketplace.WALMART, region="", marketplace_ids=[])


@pytest.fixture
def acme_europe(acme):
    return make_seller_account(acme, "A1ACMEEUROPE", region=Region.EU, marketplace_ids=["A1PA6795UKMFR9"])


def refreshed(case):
    return Case.objects.get(pk=case.pk)


# Identity for every record

def test_the_admin_form_posted_twice_adds_one_record_and_names_it_the_second_time(sam_client, lost_case):
    url = reverse("admin:cases_reimbursementrecord_add")
    assert sam_client.post(url, admin_form(lost_case.seller_account)).status_code == 302
    record = ReimbursementRecord.objects.get()
    before = money_snapshot()

    again = sam_client.post(url, admin_form(lost_case.seller_account))

    assert again.status_code == 200
    errors = str(again.context["adminform"].form.non_field_errors())
    assert (f"This reimbursement is already recorded: record {record.pk} (reimbursement 5001, case 1000000001, "
            "20.00 USD") in errors
    assert "Nothing was added; to correct that record, void it and enter the right one." in errors
    assert money_snapshot() == before
    assert refreshed(lost_case).recovered_amount == Decimal("20.00")


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_form_adds_one_record(sam, lost_case):
    """Two submissions at once (a double click): both wait on the account's lock, the second then sees the
    first one's record and is refused as a form error."""
    url = reverse("admin:cases_reimbursementrecord_add")
    statuses = []
    form = admin_form(lost_case.seller_account)

    def submit():
        try:
            client = Client()
            login_verified(client, sam)
            statuses.append(client.post(url, form).status_code)
        finally:
            connection.close()

    database = connection.settings_dict
    with psycopg.connect(host=database["HOST"] or None, port=database["PORT"] or None,
                         dbname=database["NAME"], user=database["USER"] or None) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                      [LockNamespace.SELLER_ACCOUNT, lost_case.seller_account_id])
        workers = [threading.Thread(target=submit) for _ in range(2)]
        for worker in workers:
            worker.start()
        other.rollback()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(statuses) == [200, 302]
    assert ReimbursementRecord.objects.count() == 1
    assert refreshed(lost_case).recovered_amount == Decimal("20.00")


@pytest.mark.django_db(transaction=True)
def test_the_same_reimbursement_typed_in_twice_at_once_is_recorded_once_and_named_the_second_time(sam, lost_case):
    """Two entries at once, without the form: the service checks under the account's lock, so the second
    entry waits for the first to commit, sees its record and is refused as already recorded."""
    account = lost_case.seller_account
    outcomes = []

    def enter():
        try:
            record_add_manual(seller_account=account, actor=sam, **manual_fields())
            outcomes.append("recorded")
        except ValidationError as refused:
            outcomes.append(refused.code)
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    database = connection.settings_dict
    settings = {"host": database["HOST"] or None, "port": database["PORT"] or None, "dbname": database["NAME"],
                "user": database["USER"] or None}
    waiting = ("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
               "WHERE NOT l.granted AND a.datname = current_database()")
    with psycopg.connect(**settings) as holder, psycopg.connect(**settings, autocommit=True) as observer:
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LockNamespace.SELLER_ACCOUNT, account.pk])
        # each in this test's context: its tenant's scope, which the database's row-level security follows
        workers = [threading.Thread(target=contextvars.copy_context().run, args=[enter]) for _ in range(2)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 30
        while observer.execute(waiting).fetchone()[0] < 2:
            assert time.monotonic() < deadline, f"both entries never waited: {outcomes}"
            time.sleep(0.05)
        holder.rollback()
    for worker in workers:
        worker.join(timeout=30)

    assert sorted(outcomes) == ["already_recorded", "recorded"]
    assert ReimbursementRecord.objects.count() == 1
    assert refreshed(lost_case).recovered_amount == Decimal("20.00")


def test_a_record_typed_in_by_hand_is_a_line_of_its_own_and_its_case_history_names_who_entered_it(sam, lost_case):
    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())

    assert (record.origin, record.occurrence, record.source) == (RecordOrigin.MANUAL, 1, "Entered by sam")
    event = CaseEvent.objects.filter(case=lost_case).latest("id")
    assert (event.actor, event.record_id, event.reason) == (
        sam, record.pk, "Reimbursement 5001 entered by the reimbursement team: recovered 20.00 of 40.00 USD, "
        "units 1 cash + 0 inventory of 2 claimed")


def test_the_database_refuses_a_second_manual_record_of_the_same_reimbursement(sam, lost_case):
    first = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    with pytest.raises(IntegrityError, match="record_manual_once"), transaction.atomic():
        ReimbursementRecord.objects.create(
            **manual_fields(), tenant_id=first.tenant_id, seller_account=first.seller_account,
            fingerprint="00000000-0000-0000-0000-000000000001", origin=RecordOrigin.MANUAL,
        )


def test_a_report_line_confirms_the_record_typed_in_by_hand_instead_of_adding_one(sam, lost_case):
    account = lost_case.seller_account
    manual = record_add_manual(seller_account=account, actor=sam, **manual_fields())

    run = import_report(seller_account=account, lines=report_lines(), source="r.tsv", kind=RunKind.FILE)

    assert (run.rows_read, run.rows_new, run.rows_confirmed) == (4, 3, 1)
    assert ReimbursementRecord.objects.filter(reimbursement_id="5001").count() == 1
    manual.refresh_from_db()
    assert manual.confirmed_at is not None and (manual.sync_run_id, manual.source_line) == (run.pk, 2)
    assert (manual.origin, manual.source) == (RecordOrigin.MANUAL, "Entered by sam")
    case = refreshed(lost_case)
    assert (case.recovered_amount, case.units_reimbursed_cash, case.status) == (
        Decimal("20.00"), 1, S.PARTIALLY_REIMBURSED)
    assert rollup_differences(tenant_id=account.tenant_id) == []

    again = import_report(seller_account=account, lines=report_lines(), source="r.tsv", kind=RunKind.FILE)

    assert (again.rows_new, again.rows_confirmed) == (0, 0)
    assert refreshed(lost_case).recovered_amount == Decimal("20.00")


def test_two_identical_lines_confirm_one_manual_record_and_add_the_other(sam, lost_case):
    account = lost_case.seller_account
    record_add_manual(seller_account=account, actor=sam, **manual_fields())
    lines = report_lines()
    run = import_report(seller_account=account, lines=[lines[0], lines[1], lines[1]], source="r", kind=RunKind.FILE)
    assert (run.rows_new, run.rows_confirmed) == (1, 1)
    assert refreshed(lost_case).recovered_amount == Decimal("40.00")


def test_a_later_report_with_one_more_identical_line_adds_just_that_line(lost_case):
    account = lost_case.seller_account
    header, line = report_lines()[:2]
    first = import_report(seller_account=account, lines=[header, line, line], source="r", kind=RunKind.FILE)
    later = import_report(seller_account=account, lines=[header, line, line, line], source="r", kind=RunKind.FILE)

    assert (first.rows_new, later.rows_new) == (2, 1)
    assert ReimbursementRecord.objects.filter(reimbursement_id="5001").count() == 3
    assert refreshed(lost_case).recovered_amount == Decimal("60.00")


def test_the_same_reimbursement_in_another_account_of_the_tenant_is_not_already_recorded(sam, lost_case):
    record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())
    other_account = make_seller_account(lost_case.tenant)
    other_case = make_case(other_account, marketplace_case_id=lost_case.marketplace_case_id)

    record = record_add_manual(seller_account=other_account, actor=sam, **manual_fields())

    assert record.case_id == other_case.pk
    assert ReimbursementRecord.objects.filter(reimbursement_id="5001").count() == 2


def test_a_report_pays_the_first_case_of_the_database_too(acme_amazon):
    """The cases a report pays are recomputed chunk by chunk, each after the last case id: the very first
    case (id 1) is in the first chunk."""
    first = make_case(acme_amazon, id=1, marketplace_case_id="1000000001")

    run = import_report(seller_account=acme_amazon, lines=report_lines()[:2], source="r", kind=RunKind.FILE)

    assert (run.rows_new, run.rows_matched) == (1, 1)
    assert refreshed(first).recovered_amount == Decimal("20.00")
    assert refreshed(first).status == S.PARTIALLY_REIMBURSED


def test_a_report_line_never_confirms_a_manual_record_that_staff_voided(sam, lost_case):
    account = lost_case.seller_account
    manual = record_add_manual(seller_account=account, actor=sam, **manual_fields())
    record_void(record=manual, actor=sam, reason="Typed in by mistake")
    record_add_manual(seller_account=account, actor=sam, **manual_fields(reimbursement_id="7001"))

    run = import_report(seller_account=account, lines=report_lines()[:2], source="r", kind=RunKind.FILE)

    assert (run.rows_new, run.rows_confirmed) == (1, 0)
    manual.refresh_from_db()
    assert (manual.confirmed_at, manual.sync_run_id) == (None, None)
    assert refreshed(lost_case).recovered_amount == Decimal("40.00")


def test_a_reimbursement_a_report_brought_cannot_be_typed_in_again(sam, lost_case):
    account = lost_case.seller_account
    import_report(seller_account=account, lines=report_lines(), source="r.tsv", kind=RunKind.FILE)
    from_report = ReimbursementRecord.objects.get(reimbursement_id="5001")
    before = money_snapshot()

    with pytest.raises(ValidationError, match=f"already recorded: record {from_report.pk} .*r.tsv") as refused:
        record_add_manual(seller_account=account, actor=sam, **manual_fields())

    assert refused.value.code == "already_recorded"
    assert money_snapshot() == before


def test_a_different_amount_for_the_same_reimbursement_id_is_another_record(sam, lost_case):
    account = lost_case.seller_account
    record_add_manual(seller_account=account, actor=sam, **manual_fields())
    record_add_manual(seller_account=account, actor=sam, **manual_fields(amount_total=Decimal("40.00"),
                                                                           quantity_cash=2))
    assert ReimbursementRecord.objects.count() == 2


def test_two_lines_of_one_reimbursement_for_different_skus_are_both_entered_by_hand(sam, acme_walmart):
    """Walmart W1 pays 10.00 USD for a unit of SKU-A and 10.00 USD for a unit of SKU-B on case 100."""
    case = make_case(acme_walmart, marketplace_case_id="100", units_claimed=2, claimed_amount=Decimal("20.00"))
    line = manual_fields(case_reference="100", reimbursement_id="W1", reason="Lost", fnsku="", asin="",
                         amount_per_unit=Decimal("10.00"), amount_total=Decimal("10.00"))

    record_add_manual(seller_account=acme_walmart, actor=sam, **line | {"sku": "SKU-A"})
    record_add_manual(seller_account=acme_walmart, actor=sam, **line | {"sku": "SKU-B"})

    assert sorted(ReimbursementRecord.objects.values_list("sku", flat=True)) == ["SKU-A", "SKU-B"]
    case = refreshed(case)
    assert (case.recovered_amount, case.units_reimbursed_cash) == (Decimal("20.00"), 2)
    with pytest.raises(ValidationError, match="already recorded"):
        record_add_manual(seller_account=acme_walmart, actor=sam, **line | {"sku": "SKU-B"})


def test_the_admin_form_takes_a_second_line_of_one_reimbursement_for_another_sku(sam_client, lost_case):
    url = reverse("admin:cases_reimbursementrecord_add")
    assert sam_client.post(url, admin_form(lost_case.seller_account, sku="SKU-A")).status_code == 302

    response = sam_client.post(url, admin_form(lost_case.seller_account, sku="SKU-B"))

    assert response.status_code == 302
    assert refreshed(lost_case).recovered_amount == Decimal("40.00")


def test_report_lines_confirm_the_manual_lines_that_differ_only_by_sku_each_its_own(sam, lost_case):
    """Two lines of reimbursement 5001, for SKU-1 and SKU-2, typed in by hand; the report brings both."""
    account = lost_case.seller_account
    by_sku = {sku: record_add_manual(seller_account=account, actor=sam, **manual_fields(sku=sku))
              for sku in ("SKU-2", "SKU-1")}
    first = report_lines()[1]
    second = first.replace("SKU-1", "SKU-2").replace("2026-05-10T01:02:03", "2026-05-10T01:02:04")

    run = import_report(seller_account=account, lines=[report_lines()[0], first, second], source="r",
                        kind=RunKind.FILE)

    assert (run.rows_new, run.rows_confirmed) == (0, 2)
    for sku, line in (("SKU-1", 2), ("SKU-2", 3)):
        by_sku[sku].refresh_from_db()
        assert by_sku[sku].confirmed_at is not None and by_sku[sku].source_line == line
    assert ReimbursementRecord.objects.count() == 2
    assert refreshed(lost_case).recovered_amount == Decimal("40.00")


def test_a_confirmed_record_never_takes_another_identity(sam, lost_case):
    account = lost_case.seller_account
    manual = record_add_manual(seller_account=account, actor=sam, **manual_fields())
    import_report(seller_account=account, lines=report_lines(), source="r.tsv", kind=RunKind.FILE)
    with pytest.raises(IntegrityError, match="only once"), transaction.atomic():
        ReimbursementRecord.objects.filter(pk=manual.pk).update(occurrence=7)
    report_line = ReimbursementRecord.objects.get(reimbursement_id="5002")
    with pytest.raises(IntegrityError, match="only once"), transaction.atomic():
        ReimbursementRecord.objects.filter(pk=report_line.pk).update(occurrence=7)


# What a record typed in by hand may be

@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"approval_date": dt.datetime(2999, 1, 1, tzinfo=dt.UTC)}, "approval_date",
     "The approval date 2999-01-01T00:00:00+00:00 is in the future."),
    ({"currency": "EUR"}, "currency", "Amazon NA A1ACMEAMAZON is paid in USD, CAD, MXN, BRL, never in EUR."),
    ({"amount_total": Decimal("30.00")}, "amount_total",
     "The amount total 30.00 is not amount per unit 20.00 × 1 cash units = 20.00."),
    ({"amount_total": Decimal("-20.00"), "quantity_cash": -1}, "amount_total",
     "The amount total -20.00 is negative: only a reversal (reason Reimbursement_Reversal, or an original "
     "reimbursement named) or an adjustment goes negative."),
])
def test_the_service_refuses_an_implausible_record_naming_the_field_as_the_form_does(
    sam, lost_case, overrides, field, message
):
    before = money_snapshot()

    with pytest.raises(ValidationError) as refused:
        record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields(**overrides))

    assert refused.value.message_dict[field] == [message]
    assert money_snapshot() == before


@pytest.mark.parametrize("reversal", [
    {"reason": "Reimbursement_Reversal"},
    {"original_reimbursement_id": "5001"},
    {"original_reimbursement_type": "Lost_Warehouse"},
])
def test_a_reversal_typed_in_by_hand_takes_the_reimbursement_back(sam, lost_case, reversal):
    account = lost_case.seller_account
    record_add_manual(seller_account=account, actor=sam, **manual_fields())

    taken_back = record_add_manual(seller_account=account, actor=sam, **manual_fields(
        reimbursement_id="6001", amount_total=Decimal("-20.00"), quantity_cash=-1, **reversal))

    assert (taken_back.case_id, taken_back.amount_total) == (lost_case.pk, Decimal("-20.00"))
    case = refreshed(lost_case)
    assert (case.recovered_amount, case.units_reimbursed_cash) == (Decimal("0.00"), 0)


def test_a_manual_record_in_another_currency_than_its_case_is_refused_naming_the_currency(sam, lost_case):
    before = money_snapshot()

    with pytest.raises(ValidationError) as refused:
        record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields(currency="CAD"))

    assert refused.value.message_dict == {
        "currency": ["Case 1000000001 claims in USD; a reimbursement in CAD cannot count towards it."]}
    assert money_snapshot() == before


def test_a_manual_record_is_held_to_the_currency_of_the_case_it_names_not_of_another_case(sam, lost_case):
    make_case(lost_case.seller_account, marketplace_case_id="1000000002", currency="CAD")

    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())

    assert record.case_id == lost_case.pk
    assert refreshed(lost_case).recovered_amount == Decimal("20.00")


def test_a_manual_record_is_held_to_the_currency_of_its_own_accounts_case_not_one_elsewhere(sam, lost_case):
    other_account = make_seller_account(lost_case.tenant)
    make_case(other_account, marketplace_case_id=lost_case.marketplace_case_id, currency="CAD")

    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam, **manual_fields())

    assert record.case_id == lost_case.pk
    assert refreshed(lost_case).recovered_amount == Decimal("20.00")


def test_a_manual_record_without_a_case_id_counts_towards_no_case_whatever_its_currency(sam, acme_amazon):
    """A reimbursement the marketplace paid on its own names no case: no case is looked up for it, not
    even one saved without a case ID (the matching never attaches a record without one)."""
    nameless = make_case(acme_amazon, marketplace_case_id="", currency="CAD")

    record = record_add_manual(seller_account=acme_amazon, actor=sam, **manual_fields(case_reference=""))

    assert record.case_id is None
    assert refreshed(nameless).recovered_amount == Decimal("0.00")


def test_a_void_is_not_the_reimbursement_it_cancels_so_the_right_record_can_be_typed_in(sam, lost_case):
    """Reimbursement 5001 typed in as its own reversal by mistake, then voided: the void (+20.00 USD, one
    cash unit) has the figures of the real reimbursement, which staff then type in."""
    account = lost_case.seller_account
    wrong = record_add_manual(seller_account=account, actor=sam, **manual_fields(
        reason="Reimbursement_Reversal", amount_total=Decimal("-20.00"), quantity_cash=-1))
    record_void(record=wrong, actor=sam, reason="Typed in with the wrong sign")

    record = record_add_manual(seller_account=account, actor=sam, **manual_fields())

    assert (record.origin, record.case_id) == (RecordOrigin.MANUAL, lost_case.pk)
    assert refreshed(lost_case).recovered_amount == Decimal("20.00")


# What a case can hold

def huge_units(**overrides):
    """2,000,000,000 cash units at a cent: twice on one case is more than its integer units can hold."""
    return manual_fields(**{"amount_per_unit": Decimal("0.01"), "amount_total": Decimal("20000000.00"),
                            "quantity_cash": 2_000_000_000, **overrides})


def test_a_manual_record_that_would_overflow_the_case_units_is_refused_naming_the_field(sam, lost_case):
    account = lost_case.seller_account
    record_add_manual(seller_account=account, actor=sam, **huge_units(reimbursement_id="9001"))
    before = money_snapshot()

    with pytest.raises(ValidationError) as refused:
        record_add_manual(seller_account=account, actor=sam, **huge_units(reimbursement_id="9002"))

    assert list(refused.value.message_dict) == ["quantity_cash"]
    assert ("Case 1000000001 would have 4,000,000,000 cash units reimbursed, more than a case can hold"
            in refused.value.message_dict["quantity_cash"][0])
    assert money_snapshot() == before


def test_a_manual_record_is_held_to_its_own_accounts_case_not_one_with_the_same_id_elsewhere(sam, lost_case):
    record_add_manual(seller_account=lost_case.seller_account, actor=sam, **huge_units(reimbursement_id="9001"))
    other_account = make_seller_account(lost_case.tenant)
    other_case = make_case(other_account, marketplace_case_id=lost_case.marketplace_case_id)

    record = record_add_manual(seller_account=other_account, actor=sam, **huge_units(reimbursement_id="9002"))

    assert record.case_id == other_case.pk
    assert refreshed(other_case).units_reimbursed_cash == 2_000_000_000


def test_a_manual_record_is_held_to_the_case_it_names_not_another_case_of_the_account(sam, lost_case):
    record_add_manual(seller_account=lost_case.seller_account, actor=sam, **huge_units(reimbursement_id="9001"))
    other_case = make_case(lost_case.seller_account, marketplace_case_id="1000000002")

    record = record_add_manual(seller_account=lost_case.seller_account, actor=sam,
                               **huge_units(reimbursement_id="9002", case_reference="1000000002"))

    assert record.case_id == other_case.pk
    assert refreshed(other_case).units_reimbursed_cash == 2_000_000_000


def test_a_manual_record_taking_the_case_amount_to_exactly_its_limit_is_refused(sam, lost_case):
    account = lost_case.seller_account
    half = {"amount_per_unit": Decimal("500000000000.00"), "amount_total": Decimal("500000000000.00")}
    record_add_manual(seller_account=account, actor=sam, **manual_fields(reimbursement_id="9001", **half))
    before = money_snapshot()

    with pytest.raises(ValidationError) as refused:
        record_add_manual(seller_account=account, actor=sam, **manual_fields(reimbursement_id="9002", **half))

    assert list(refused.value.message_dict) == ["amount_total"]
    assert ("Case 1000000001 would recover 1000000000000.00 USD, more than a case can hold "
            "(under 1,000,000,000,000): not a real reimbursement.") in refused.value.message_dict["amount_total"]
    assert money_snapshot() == before


def test_units_returned_to_inventory_are_accepted_on_a_case_just_under_the_amount_limit(sam, lost_case):
    account = lost_case.seller_account
    near = {"amount_per_unit": Decimal("999999999999.50"), "amount_total": Decimal("999999999999.50")}
    record_add_manual(seller_account=account, actor=sam, **manual_fields(reimbursement_id="9001", **near))

    returned = record_add_manual(seller_account=account, actor=sam, **manual_fields(
        reimbursement_id="9002", amount_per_unit=Decimal("0.00"), amount_total=Decimal("0.00"), quantity_cash=0,
        quantity_inventory=1))

    assert returned.case_id == lost_case.pk
    assert refreshed(lost_case).recovered_amount == Decimal("999999999999.50")


def test_a_manual_record_that_would_overflow_the_case_inventory_units_is_refused_naming_the_field(sam, lost_case):
    account = lost_case.seller_account
    inventory = {"quantity_cash": 0, "quantity_inventory": 2_000_000_000, "amount_total": Decimal("0.00")}
    record_add_manual(seller_account=account, actor=sam, **huge_units(reimbursement_id="9001", **inventory))
    before = money_snapshot()

    with pytest.raises(ValidationError) as refused:
        record_add_manual(seller_account=account, actor=sam, **huge_units(reimbursement_id="9002", **inventory))

    assert refused.value.message_dict == {"quantity_inventory": [
        "Case 1000000001 would have 4,000,000,000 inventory units reimbursed, more than a case can hold "
        "(2,147,483,647)."]}
    assert money_snapshot() == before


def test_a_case_takes_cash_units_up_to_exactly_its_limit(sam, lost_case):
    account = lost_case.seller_account
    record_add_manual(seller_account=account, actor=sam, **huge_units(reimbursement_id="9001"))
    record_add_manual(seller_account=account, actor=sam, **huge_units(
        reimbursement_id="9002", quantity_cash=147_483_647, amount_total=Decimal("1474836.47")))

    assert refreshed(lost_case).units_reimbursed_cash == 2**31 - 1


def test_a_case_at_its_most_cash_units_still_takes_inventory_units(sam, lost_case):
    account = lost_case.seller_account
    record_add_manual(seller_account=account, actor=sam, **huge_units(reimbursement_id="9001"))
    record_add_manual(seller_account=account, actor=sam, **huge_units(
        reimbursement_id="9002", quantity_cash=147_483_647, amount_total=Decimal("1474836.47")))
    record_add_manual(seller_account=account, actor=sam, **huge_units(
        reimbursement_id="9003", quantity_cash=0, quantity_inventory=1, amount_total=Decimal("0.00")))

    case = refreshed(lost_case)
    assert (case.units_reimbursed_cash, case.units_reimbursed_inventory) == (2**31 - 1, 1)


def test_a_manual_record_that_would_take_the_case_amount_past_its_limit_is_refused(sam, lost_case):
    account = lost_case.seller_account
    big = {"amount_per_unit": Decimal("600000000000.00"), "amount_total": Decimal("600000000000.00")}
    record_add_manual(seller_account=account, actor=sam, **manual_fields(reimbursement_id="9001", **big))
    before = money_snapshot()

    with pytest.raises(ValidationError) as refused:
        record_add_manual(seller_account=account, actor=sam, **manual_fields(reimbursement_id="9002", **big))

    assert list(refused.value.message_dict) == ["amount_total"]
    assert "would recover 1200000000000.00 USD, more than a case can hold" in str(refused.value)
    assert money_snapshot() == before


def test_the_admin_form_refuses_a_record_that_would_overflow_the_case_without_a_500(sam, sam_client, lost_case):
    account = lost_case.seller_account
    record_add_manual(seller_account=account, actor=sam, **huge_units(reimbursement_id="9001"))
    before = money_snapshot()

    response = sam_client.post(reverse("admin:cases_reimbursementrecord_add"), admin_form(
        account, reimbursement_id="9002", amount_per_unit="0.01", amount_total="20000000.00",
        quantity_cash="2000000000"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["quantity_cash"]
    assert "would have 4,000,000,000 cash units reimbursed" in errors["quantity_cash"][0]
    assert money_snapshot() == before


# Wrong-account guard

def test_every_marketplace_pays_in_iso_currencies_and_each_region_is_known():
    assert {(Marketplace.AMAZON, region) for region in Region} <= set(MARKETPLACE_CURRENCIES)
    assert all(len(code) == 3 and code.isupper() for codes in MARKETPLACE_CURRENCIES.values() for code in codes)


def test_a_usd_report_uploaded_to_the_eu_account_is_refused_naming_the_na_account(
    sam_client, lost_case, acme_europe
):
    before = money_snapshot()
    with open(DATA / "report_basic.tsv", "rb") as report:
        response = sam_client.post(reverse("admin:sync_syncrun_upload"),
                                   {"seller_account": acme_europe.pk, "report": report})
    assert response.status_code == 200
    page = response.content.decode()
    assert ("these lines look like Amazon NA A1ACMEAMAZON, not Amazon EU A1ACMEEUROPE; nothing was imported"
            in page)
    assert "4 lines in USD (lines 2, 3, 4, 5): Amazon EU A1ACMEEUROPE is paid in EUR" in page
    assert money_snapshot() == before
    run = SyncRun.objects.get()
    assert (run.status, run.seller_account, run.rows_new) == (RunStatus.FAILED, acme_europe, 0)
    assert "look like Amazon NA A1ACMEAMAZON" in run.error


def test_the_upload_override_imports_it_and_the_run_says_who_overrode(sam_client, lost_case, acme_europe):
    with open(DATA / "report_basic.tsv", "rb") as report:
        response = sam_client.post(reverse("admin:sync_syncrun_upload"),
                                   {"seller_account": acme_europe.pk, "report": report, "force_account": "on"})
    assert response.status_code == 302
    run = SyncRun.objects.get()
    assert (run.status, run.rows_new) == (RunStatus.SUCCEEDED, 4)
    assert run.account_guard_override.startswith(
        "Overridden by sam (admin upload): these lines look like Amazon NA A1ACMEAMAZON")
    assert refreshed(lost_case).status == S.OPEN, "an override never reaches another account's cases"


def test_the_command_refuses_a_report_of_the_wrong_region_and_imports_it_with_force_account(
    lost_case, acme_europe, capsys
):
    path = str(DATA / "report_basic.tsv")
    before = money_snapshot()
    with pytest.raises(CommandError, match="these lines look like Amazon NA A1ACMEAMAZON"):
        call_command("import_reimbursements", path, "--seller-account", "A1ACMEEUROPE", "--progress-every", "0")
    assert money_snapshot() == before

    call_command("import_reimbursements", path, "--seller-account", "A1ACMEEUROPE", "--force-account",
                 "--progress-every", "0")

    run = SyncRun.objects.get(status=RunStatus.SUCCEEDED)
    assert run.rows_new == 4
    assert run.account_guard_override.startswith("Overridden by import_reimbursements --force-account (OS user ")


def test_staged_lines_of_another_account_are_refused_unless_the_caller_overrides_the_guard(lost_case, acme_europe):
    with connection.cursor() as cursor:
        cursor.execute(CREATE_STAGING_SQL)
        copy_lines(cursor, table="sync_report_rows", columns=STAGING_COLUMNS,
                   lines=read_report_copy(report_lines(), source="r.tsv"))
        with pytest.raises(WrongAccount, match="these lines look like Amazon NA A1ACMEAMAZON"):
            records_insert_staged(seller_account=acme_europe, staging_table="sync_report_rows",
                                  columns=ROW_COLUMNS, source="r.tsv")
        assert not ReimbursementRecord.objects.exists()

        stored = records_insert_staged(seller_account=acme_europe, staging_table="sync_report_rows",
                                       columns=ROW_COLUMNS, source="r.tsv", override_account_guard=True)

    assert stored.rows_new == 4
    assert stored.account_guard_overridden.startswith("these lines look like Amazon NA A1ACMEAMAZON")


def test_a_report_in_a_currency_no_account_of_the_tenant_is_paid_in_names_the_marketplace(acme_europe):
    with pytest.raises(WrongAccountReport, match="look like an Amazon NA account \\(the tenant has no such account\\)"):
        ingest_report(seller_account=acme_europe, lines=report_lines(), source="r.tsv")
    assert not ReimbursementRecord.objects.exists()


def test_a_report_naming_cases_of_another_account_of_the_tenant_is_refused(acme, lost_case, damaged_case):
    other = make_seller_account(acme, "A1ACMESECOND")
    before = money_snapshot()
    with pytest.raises(WrongAccountReport) as refused:
        ingest_report(seller_account=other, lines=report_lines(), source="r.tsv")
    message = str(refused.value)
    assert "these lines look like Amazon NA A1ACMEAMAZON, not Amazon NA A1ACMESECOND" in message
    assert "line 2, case-id: 2 lines (lines 2, 3) name cases of Amazon NA A1ACMEAMAZON" in message
    assert "(case IDs 1000000001, 1000000002); 0 name cases of Amazon NA A1ACMESECOND" in message
    assert money_snapshot() == before


def test_a_case_recorded_on_the_wrong_account_does_not_block_the_right_accounts_reports(acme, lost_case, damaged_case):
    other = make_seller_account(acme, "A1ACMESECOND")
    make_case(other, marketplace_case_id="9999999999", claimed_amount=Decimal("8.00"))
    result = ingest_report(seller_account=lost_case.seller_account, lines=report_lines(), source="r.tsv")
    assert result.rows_new == 4


def test_a_poll_bringing_another_regions_currency_fails_and_writes_nothing(acme, acme_amazon):
    # Set up with the US marketplace by mistake, the EU account is paid in USD by the sandbox.
    acme_europe = make_seller_account(acme, "A1ACMEEUROPE", region=Region.EU, marketplace_ids=["ATVPDKIKX0DER"])
    make_sandbox_cases(acme_europe, 20, currency="EUR")
    before = money_snapshot()
    with pytest.raises(WrongAccountReport, match="look like Amazon NA A1ACMEAMAZON, not Amazon EU A1ACMEEUROPE"):
        account_poll(seller_account_id=acme_europe.pk, kind=RunKind.POLL)
    assert money_snapshot() == before
    run = SyncRun.objects.get(seller_account=acme_europe)
    assert run.status == RunStatus.FAILED and "USD" in run.error
