import contextvars
import datetime as dt
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from prometheus_client import REGISTRY
from django_scopes import scope

from cases.models import Case, CaseEvent, CaseStatus, CaseTotals, MonthlyRecovery, ReimbursementRecord
from cases.locks import LockNamespace
from sync.ingest import COPY_BATCH, OVERRIDE_HINT, IngestResult, WrongAccountReport, import_report, ingest_report
from sync.models import RunKind, RunStatus, SyncRun
from sync.report import COLUMNS, ReportError
from sync.report_writer import report_header, report_line
from tests.factories import make_case, make_seller_account

pytestmark = pytest.mark.usefixtures("acme_scope")

DATA = Path(__file__).parent.parent / "data"
S = CaseStatus


def ingest(account, name):
    with open(DATA / name, encoding="utf-8-sig", newline="") as lines:
        return ingest_report(seller_account=account, lines=lines, source=name)


def refreshed(case):
    return Case.objects.get(pk=case.pk)


def snapshot():
    """Everything an ingestion may write, to prove that another one wrote nothing."""
    return (
        list(ReimbursementRecord.objects.order_by("id").values_list("id", "case_id")),
        list(Case.objects.order_by("id").values_list(
            "id", "status", "recovered_amount", "units_reimbursed_cash", "units_reimbursed_inventory",
            "last_reimbursed_on", "updated_at")),
        list(CaseEvent.objects.order_by("id").values_list("id", flat=True)),
        list(CaseTotals.objects.order_by("id").values_list(
            "id", "case_count", "claimed_amount", "recovered_amount", "shortfall_amount")),
        list(MonthlyRecovery.objects.order_by("id").values_list("id", "amount", "record_count")),
    )


@pytest.fixture
def lost_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="1000000001", units_claimed=2, claimed_amount=Decimal("40.00"))


@pytest.fixture
def damaged_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="1000000002", units_claimed=2, claimed_amount=Decimal("30.00"),
                     reimbursement_type="damaged_warehouse")


@pytest.fixture
def globex_case(globex_amazon):
    return make_case(globex_amazon, marketplace_case_id="9999999999", units_claimed=1, claimed_amount=Decimal("8.00"))


def test_a_report_adds_its_rows_and_moves_the_cases(lost_case, damaged_case):
    result = ingest(lost_case.seller_account, "report_basic.tsv")
    assert result == IngestResult(rows_read=4, rows_new=4, rows_matched=2, cases_changed=2, status_changes=2)
    lost, damaged = refreshed(lost_case), refreshed(damaged_case)
    assert (lost.status, lost.recovered_amount, lost.units_reimbursed_cash) == (S.PARTIALLY_REIMBURSED, Decimal("20.00"), 1)
    assert (damaged.status, damaged.recovered_amount) == (S.FULLY_REIMBURSED, Decimal("30.00"))
    assert damaged.last_reimbursed_on == dt.date(2026, 5, 11)


def test_cases_are_recomputed_chunk_by_chunk_with_the_same_outcome(lost_case, damaged_case, monkeypatch):
    monkeypatch.setattr("cases.records.RECOMPUTE_CHUNK", 1)
    ingest(lost_case.seller_account, "report_duplicates.tsv")
    result = ingest(lost_case.seller_account, "report_overlap.tsv")
    assert (result.rows_new, result.rows_matched, result.cases_changed, result.status_changes) == (2, 1, 1, 1)
    result = ingest(lost_case.seller_account, "report_basic.tsv")
    assert (result.rows_new, result.rows_matched, result.cases_changed, result.status_changes) == (2, 1, 1, 1)
    assert refreshed(lost_case).status == refreshed(damaged_case).status == S.FULLY_REIMBURSED
    other = make_case(lost_case.seller_account, marketplace_case_id="1000000009", units_claimed=1,
                      claimed_amount=Decimal("20.00"))
    lines = ["\t".join(COLUMNS) + "\n"] + [
        f"2026-07-0{day}\t77{day}\t{case_id}\t\tLost_Warehouse\t\t\t\t\t\tUSD\t20.00\t20.00\t1\t0\t1\t\t\n"
        for day, case_id in ((1, "1000000009"), (2, "1000000001"), (3, "1000000002"))
    ]
    result = ingest_report(seller_account=lost_case.seller_account, lines=lines, source="three.tsv")
    assert (result.rows_new, result.rows_matched, result.cases_changed) == (3, 3, 3)
    assert refreshed(other).status == S.FULLY_REIMBURSED


def test_status_changes_of_every_chunk_are_counted(acme_amazon, monkeypatch):
    monkeypatch.setattr("cases.records.RECOMPUTE_CHUNK", 1)
    cases = [make_case(acme_amazon, marketplace_case_id=f"100000001{n}", units_claimed=1,
                       claimed_amount=Decimal("20.00")) for n in range(3)]
    lines = ["\t".join(COLUMNS) + "\n"] + [
        f"2026-07-0{n + 1}\t78{n}\t{case.marketplace_case_id}\t\tLost_Warehouse\t\t\t\t\t\t"
        "USD\t20.00\t20.00\t1\t0\t1\t\t\n"
        for n, case in enumerate(cases)
    ]
    result = ingest_report(seller_account=acme_amazon, lines=lines, source="three.tsv")
    assert (result.rows_new, result.rows_matched, result.cases_changed, result.status_changes) == (3, 3, 3, 3)
    assert {refreshed(case).status for case in cases} == {S.FULLY_REIMBURSED}


def test_each_record_keeps_its_source_line_and_tenant(lost_case):
    ingest(lost_case.seller_account, "report_basic.tsv")
    records = ReimbursementRecord.objects.order_by("source_line")
    assert [(r.source, r.source_line, r.occurrence) for r in records] == [
        ("report_basic.tsv", line, 1) for line in (2, 3, 4, 5)
    ]
    assert {r.tenant_id for r in records} == {lost_case.tenant_id}
    assert records[1].amazon_order_id == "111-1234567-1234567"


def test_the_history_names_the_report_and_the_row(lost_case):
    ingest(lost_case.seller_account, "report_basic.tsv")
    event = CaseEvent.objects.filter(case=lost_case).latest("id")
    assert (event.from_status, event.to_status) == (S.OPEN, S.PARTIALLY_REIMBURSED)
    assert event.reason.startswith("Report report_basic.tsv")
    assert (event.record.source, event.record.source_line) == ("report_basic.tsv", 2)


def test_importing_the_same_report_again_changes_nothing(lost_case, damaged_case):
    ingest(lost_case.seller_account, "report_basic.tsv")
    before = snapshot()
    result = ingest(lost_case.seller_account, "report_basic.tsv")
    assert result == IngestResult(rows_read=4, rows_new=0, rows_matched=0, cases_changed=0, status_changes=0)
    assert snapshot() == before


def test_an_overlapping_report_adds_only_the_rows_not_seen_before(lost_case, damaged_case):
    ingest(lost_case.seller_account, "report_basic.tsv")
    result = ingest(lost_case.seller_account, "report_overlap.tsv")
    assert (result.rows_read, result.rows_new, result.rows_matched) == (3, 1, 1)
    assert refreshed(lost_case).status == S.FULLY_REIMBURSED
    assert refreshed(damaged_case).recovered_amount == Decimal("30.00")
    before = snapshot()
    ingest(lost_case.seller_account, "report_overlap.tsv")
    assert snapshot() == before


def test_the_same_rows_in_two_differently_shaped_files_count_once(lost_case):
    ingest(lost_case.seller_account, "report_basic.tsv")
    result = ingest(lost_case.seller_account, "report_shuffled.tsv")
    assert (result.rows_read, result.rows_new) == (2, 1)
    assert refreshed(lost_case).recovered_amount == Decimal("20.00")
    assert ReimbursementRecord.objects.filter(reason="Warehouse_Mystery_Adjustment").count() == 1


def test_two_identical_rows_in_one_report_both_count_and_are_not_added_again(damaged_case):
    result = ingest(damaged_case.seller_account, "report_duplicates.tsv")
    assert (result.rows_new, result.rows_matched) == (2, 2)
    assert refreshed(damaged_case).recovered_amount == Decimal("60.00")
    assert sorted(ReimbursementRecord.objects.values_list("occurrence", flat=True)) == [1, 2]
    before = snapshot()
    ingest(damaged_case.seller_account, "report_duplicates.tsv")
    ingest(damaged_case.seller_account, "report_basic.tsv")
    assert ReimbursementRecord.objects.filter(case=damaged_case).count() == 2
    assert snapshot()[1:3] == before[1:3]


def test_a_reversal_moves_a_fully_reimbursed_case_back_and_lowers_the_totals(lost_case):
    ingest(lost_case.seller_account, "report_basic.tsv")
    ingest(lost_case.seller_account, "report_overlap.tsv")
    assert refreshed(lost_case).status == S.FULLY_REIMBURSED
    result = ingest(lost_case.seller_account, "report_reversal.tsv")
    assert (result.cases_changed, result.status_changes) == (1, 1)
    case = refreshed(lost_case)
    assert (case.status, case.recovered_amount, case.units_reimbursed_cash) == (
        S.PARTIALLY_REIMBURSED, Decimal("20.00"), 1)
    totals = CaseTotals.objects.get(seller_account=lost_case.seller_account, status=S.PARTIALLY_REIMBURSED,
                                    reimbursement_type=lost_case.reimbursement_type)
    assert (totals.case_count, totals.recovered_amount, totals.shortfall_amount) == (
        1, Decimal("20.00"), Decimal("20.00"))
    fully = CaseTotals.objects.filter(status=S.FULLY_REIMBURSED, reimbursement_type=lost_case.reimbursement_type)
    assert sum(t.case_count for t in fully) == 0
    june = MonthlyRecovery.objects.get(month=dt.date(2026, 6, 1))
    assert (june.amount, june.automatic) == (Decimal("-20.00"), False)


def test_an_automatic_reimbursement_has_no_case_and_counts_apart(acme_amazon):
    ingest(acme_amazon, "report_basic.tsv")
    automatic = ReimbursementRecord.objects.get(case_reference="")
    assert automatic.case_id is None and automatic.is_automatic
    bucket = MonthlyRecovery.objects.get(seller_account=acme_amazon, month=dt.date(2026, 5, 1), automatic=True)
    assert (bucket.amount, bucket.record_count) == (Decimal("12.50"), 1)
    filed = MonthlyRecovery.objects.get(seller_account=acme_amazon, month=dt.date(2026, 5, 1), automatic=False)
    assert (filed.amount, filed.record_count) == (Decimal("58.00"), 3)


def test_a_row_naming_another_tenants_case_never_touches_it(acme_amazon, globex_case):
    with scope(tenant=globex_case.tenant):
        events_before = CaseEvent.objects.filter(case=globex_case).count()
    result = ingest(acme_amazon, "report_basic.tsv")
    assert result.rows_matched == 0
    with scope(tenant=globex_case.tenant):
        untouched = refreshed(globex_case)
        assert (untouched.status, untouched.recovered_amount) == (S.OPEN, Decimal("0.00"))
        assert CaseEvent.objects.filter(case=globex_case).count() == events_before
        assert not ReimbursementRecord.objects.filter(case=globex_case).exists()
        assert not MonthlyRecovery.objects.filter(tenant=globex_case.tenant).exists()
    stray = ReimbursementRecord.objects.get(case_reference="9999999999")
    assert (stray.seller_account_id, stray.tenant_id, stray.case_id) == (acme_amazon.pk, acme_amazon.tenant_id, None)


def test_a_row_naming_a_case_of_another_account_of_the_same_tenant_never_touches_it(acme, lost_case):
    other_account = make_seller_account(acme, "A1ACMEEUROPE")
    with open(DATA / "report_basic.tsv", encoding="utf-8-sig", newline="") as lines:
        ingest_report(seller_account=other_account, lines=lines, source="x", override_account_guard=True)
    assert refreshed(lost_case).status == S.OPEN
    assert not ReimbursementRecord.objects.filter(case=lost_case).exists()


def test_the_same_report_in_two_seller_accounts_counts_in_each(acme, lost_case):
    other_account = make_seller_account(acme, "A1ACMEEUROPE")
    ingest(lost_case.seller_account, "report_basic.tsv")
    with open(DATA / "report_basic.tsv", encoding="utf-8-sig", newline="") as lines:
        result = ingest_report(seller_account=other_account, lines=lines, source="x", override_account_guard=True)
    assert result.rows_new == 4


def test_a_case_recorded_after_its_reimbursement_picks_it_up(acme_amazon):
    ingest(acme_amazon, "report_basic.tsv")
    case = make_case(acme_amazon, marketplace_case_id="1000000001", units_claimed=1, claimed_amount=Decimal("20.00"))
    assert refreshed(case).status == S.FULLY_REIMBURSED


@pytest.mark.parametrize("name", ["report_bad.tsv", "report_missing_columns.tsv"])
def test_a_bad_report_writes_nothing(lost_case, damaged_case, name):
    ingest(lost_case.seller_account, "report_reversal.tsv")
    before = snapshot()
    with pytest.raises(ReportError) as caught:
        ingest(lost_case.seller_account, name)
    assert caught.value.source == name and caught.value.problems
    assert snapshot() == before


def test_a_bad_line_after_good_ones_keeps_the_good_ones_out_too(lost_case):
    lines = open(DATA / "report_basic.tsv").readlines() + ["2026-05-13\t5009\t1000000001\t\tLost_Warehouse"
                                                           "\t\t\t\t\t\tUSD\t1.00\tabc\t1\t0\t1\t\t\n"]
    with pytest.raises(ReportError, match="line 6, amount-total"):
        ingest_report(seller_account=lost_case.seller_account, lines=lines, source="mixed.tsv")
    assert not ReimbursementRecord.objects.exists()
    assert refreshed(lost_case).status == S.OPEN


def test_an_import_records_a_succeeded_run_with_its_counts(lost_case, staff_user):
    with open(DATA / "report_basic.tsv") as lines:
        run = import_report(seller_account=lost_case.seller_account, lines=lines, source="report_basic.tsv",
                            kind=RunKind.FILE, actor=staff_user)
    run = SyncRun.objects.get(pk=run.pk)
    assert (run.status, run.kind, run.source, run.actor) == (RunStatus.SUCCEEDED, RunKind.FILE, "report_basic.tsv", staff_user)
    assert (run.rows_read, run.rows_new, run.rows_matched, run.cases_changed, run.status_changes) == (4, 4, 1, 1, 1)
    assert run.finished_at is not None and run.tenant_id == lost_case.tenant_id


def test_a_failed_import_records_the_error_and_raises_it(lost_case):
    with open(DATA / "report_bad.tsv") as lines, pytest.raises(ReportError):
        import_report(seller_account=lost_case.seller_account, lines=lines, source="report_bad.tsv", kind=RunKind.FILE)
    run = SyncRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "line 3, amount-total" in run.error
    assert (run.rows_read, run.rows_new) == (0, 0)
    assert not ReimbursementRecord.objects.exists()


def test_an_import_completes_a_run_created_before_it(lost_case):
    account = lost_case.seller_account
    run = SyncRun.objects.create(tenant=account.tenant, seller_account=account, kind=RunKind.POLL, source="report 42")
    with open(DATA / "report_basic.tsv") as lines:
        done = import_report(seller_account=account, lines=lines, source="report 42", kind=RunKind.POLL, run=run)
    assert done.pk == run.pk and SyncRun.objects.get().status == RunStatus.SUCCEEDED


def sessions_waiting_for_the_accounts_lock(observer, account) -> int:
    """Sessions whose request for the seller account's advisory lock is queued, not granted (pg_locks
    keeps a two-integer advisory key as classid, objid with objsubid 2)."""
    return observer.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND classid = %s AND objid = %s AND objsubid = 2",
        [LockNamespace.SELLER_ACCOUNT, account.pk]).fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_an_ingestion_waits_while_another_holds_the_accounts_lock(lost_case):
    """The ingestion is shown queued on the account's lock in pg_locks, with nothing written, for as long
    as another session holds the lock; once that session lets go, it goes through."""
    account = lost_case.seller_account
    outcome = []

    def ingest_in_another_thread():
        try:
            outcome.append(ingest(account, "report_basic.tsv"))
        finally:
            connection.close()

    database = connection.settings_dict
    settings = {"host": database["HOST"] or None, "port": database["PORT"] or None, "dbname": database["NAME"],
                "user": database["USER"] or None}
    with psycopg.connect(**settings) as holder, psycopg.connect(**settings, autocommit=True) as observer:
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LockNamespace.SELLER_ACCOUNT, account.pk])
        # in this test's context: its tenant's scope, which the database's row-level security follows
        worker = threading.Thread(target=contextvars.copy_context().run, args=[ingest_in_another_thread])
        worker.start()
        deadline = time.monotonic() + 30
        while not sessions_waiting_for_the_accounts_lock(observer, account):
            assert worker.is_alive(), "the ingestion finished without waiting for the account's lock"
            assert time.monotonic() < deadline, "the ingestion never queued for the account's lock"
            time.sleep(0.05)

        assert worker.is_alive() and not outcome
        assert not ReimbursementRecord.objects.exists()
        holder.rollback()
        worker.join(timeout=30)

        assert not worker.is_alive() and outcome[0].rows_new == 4
        assert sessions_waiting_for_the_accounts_lock(observer, account) == 0
    assert ReimbursementRecord.objects.count() == 4


def test_a_row_paid_in_another_currency_than_its_case_stays_unmatched(acme_amazon):
    case = make_case(acme_amazon, marketplace_case_id="1000000001", units_claimed=2, currency="CAD",
                     claimed_amount=Decimal("40.00"))
    result = ingest(acme_amazon, "report_basic.tsv")
    assert result.rows_new == 4
    assert refreshed(case).status == S.OPEN
    assert not ReimbursementRecord.objects.filter(case=case).exists()
    assert ReimbursementRecord.objects.filter(case_reference="1000000001", case=None).exists()


def automatic_lines(count: int) -> list[str]:
    """A report of `count` reimbursements the marketplace paid without a case, each of its own ID."""
    rows = [report_line({
        "approval-date": "2026-05-10T01:02:03+00:00", "reimbursement-id": str(70000 + number),
        "reason": "Lost_Inbound", "sku": "SKU-1", "currency-unit": "USD", "amount-per-unit": "1.00",
        "amount-total": "1.00", "quantity-reimbursed-cash": "1", "quantity-reimbursed-inventory": "0",
        "quantity-reimbursed-total": "1",
    }) for number in range(count)]
    return [f"{line}\n" for line in [report_header(), *rows]]


@pytest.mark.parametrize("count", [COPY_BATCH - 1, COPY_BATCH, COPY_BATCH + 1, 2 * COPY_BATCH + 1])
def test_a_report_of_more_lines_than_one_write_reaches_the_database_whole_and_counted(acme_amazon, count):
    result = ingest_report(seller_account=acme_amazon, lines=automatic_lines(count), source="long.tsv")

    assert (result.rows_read, result.rows_new) == (count, count)
    stored = ReimbursementRecord.objects.filter(seller_account=acme_amazon)
    assert sorted(int(r) for r in stored.values_list("reimbursement_id", flat=True)) == list(range(70000, 70000 + count))
    assert set(stored.values_list("source_line", flat=True)) == set(range(2, count + 2))
    assert ingest_report(seller_account=acme_amazon, lines=automatic_lines(count), source="long.tsv").rows_new == 0


def test_lines_refused_for_what_they_would_do_to_a_case_are_named_under_the_files_name(lost_case):
    near_limit = {"case-id": "1000000001", "reason": "Lost_Warehouse", "currency-unit": "USD",
                  "amount-per-unit": "999999999999.99", "amount-total": "999999999999.99",
                  "quantity-reimbursed-cash": "1", "quantity-reimbursed-inventory": "0",
                  "quantity-reimbursed-total": "1", "approval-date": "2026-05-10T01:02:03+00:00"}
    lines = [f"{line}\n" for line in [report_header(), report_line({**near_limit, "reimbursement-id": "1"}),
                                      report_line({**near_limit, "reimbursement-id": "2"})]]
    before = snapshot()

    with pytest.raises(ReportError) as refused:
        ingest_report(seller_account=lost_case.seller_account, lines=lines, source="crafted.tsv")

    assert str(refused.value) == (
        "crafted.tsv: 1 problem, nothing was imported.\n"
        "  line 2, amount-total: case 1000000001 would recover 1999999999999.98 USD, more than a case can hold "
        "(under 1,000,000,000,000): not a real reimbursement")
    assert snapshot() == before


def test_a_report_of_another_account_is_refused_under_the_files_name_with_the_way_to_override(acme, lost_case):
    other = make_seller_account(acme, "A1ACMESECOND")

    with pytest.raises(WrongAccountReport) as refused, open(DATA / "report_basic.tsv") as lines:
        ingest_report(seller_account=other, lines=lines, source="report_basic.tsv")

    assert refused.value.source == "report_basic.tsv"
    assert str(refused.value).split("\n") == [
        "report_basic.tsv: these lines look like Amazon NA A1ACMEAMAZON, not Amazon NA A1ACMESECOND; "
        "nothing was imported.",
        *(f"  {problem}" for problem in refused.value.problems),
        f"  {OVERRIDE_HINT}",
    ]
    assert len(refused.value.problems) == 1


def test_a_succeeded_import_leaves_no_error_and_its_duration_is_the_time_it_took(lost_case):
    def ingest_seconds():
        return REGISTRY.get_sample_value("casetracker_ingest_seconds_sum", {"kind": RunKind.FILE}) or 0.0

    observed_before, started = ingest_seconds(), time.monotonic()
    with open(DATA / "report_basic.tsv") as lines:
        run = import_report(seller_account=lost_case.seller_account, lines=lines, source="report_basic.tsv",
                            kind=RunKind.FILE)
    took = time.monotonic() - started

    assert SyncRun.objects.get(pk=run.pk).error == ""
    assert 0 < ingest_seconds() - observed_before <= took


def test_a_download_broken_off_without_a_message_fails_the_run_naming_the_error(lost_case):
    def broken_off():
        yield from open(DATA / "report_basic.tsv").readlines()[:2]
        raise ConnectionResetError()

    with pytest.raises(ConnectionResetError):
        import_report(seller_account=lost_case.seller_account, lines=broken_off(), source="report 43",
                      kind=RunKind.POLL)

    run = SyncRun.objects.get()
    assert (run.status, run.error, run.rows_read) == (RunStatus.FAILED, "ConnectionResetError", 0)
    assert not ReimbursementRecord.objects.exists()
