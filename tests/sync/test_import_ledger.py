"""Importing an Inventory Ledger file: the command, once only, refused whole when bad, one account only."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scope

from ledger.models import LedgerLine, Opportunity
from sync.ledger_writer import ledger_lines
from sync.models import RunReport, RunStatus, SyncRun
from tests.ledger.helpers import add_reimbursement, import_rows, row

pytestmark = pytest.mark.usefixtures("acme_scope")


@pytest.fixture
def ledger_file(tmp_path):
    def write(rows, name="ledger.tsv", delimiter="\t"):
        path = tmp_path / name
        path.write_text("".join(ledger_lines(rows, delimiter=delimiter)))
        return str(path)
    return write


def run_command(*args):
    out = io.StringIO()
    call_command("import_ledger", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_imports_lines_detects_and_prints_a_summary(acme_amazon, ledger_file):
    path = ledger_file([row(quantity=-2), row(event_type="Receipts", reason="", quantity=10, ref="S1")])
    out = run_command(path, "--seller-account", "A1ACMEAMAZON")
    assert out.strip() == ("Imported ledger.tsv into Amazon NA A1ACMEAMAZON: 2 lines read, 2 new; "
                           "1 identified amounts added or changed.")
    assert LedgerLine.objects.count() == 2
    opportunity = Opportunity.objects.get()
    assert (opportunity.fnsku, opportunity.reference_id, opportunity.units_open) == ("X000000001", "R1", 2)
    run = SyncRun.objects.get()
    assert (run.report, run.status, run.rows_new) == (RunReport.LEDGER, RunStatus.SUCCEEDED, 2)


def test_importing_the_same_file_twice_adds_nothing(acme_amazon, ledger_file):
    path = ledger_file([row(quantity=-2), row(quantity=-2)])
    run_command(path, "--seller-account", "A1ACMEAMAZON")
    before = list(Opportunity.objects.values_list("id", "units_open", "updated_at"))
    out = run_command(path, "--seller-account", "A1ACMEAMAZON")
    assert "2 lines read, 0 new; 0 identified amounts added or changed." in out
    assert LedgerLine.objects.count() == 2
    assert list(Opportunity.objects.values_list("id", "units_open", "updated_at")) == before
    assert Opportunity.objects.get().units_lost == 4


def test_an_overlapping_file_adds_only_its_new_lines(acme_amazon):
    import_rows(acme_amazon, [row(ref="R1"), row(ref="R2")])
    run = import_rows(acme_amazon, [row(ref="R2"), row(ref="R3")])
    assert (run.rows_read, run.rows_new) == (2, 1)
    assert sorted(Opportunity.objects.values_list("reference_id", flat=True)) == ["R1", "R2", "R3"]


def test_a_later_download_updates_amazons_reconciliation_instead_of_adding_a_line(acme_amazon):
    import_rows(acme_amazon, [row(quantity=-3, unreconciled=3)])
    run = import_rows(acme_amazon, [row(quantity=-3, unreconciled=1)])
    assert (run.rows_new, run.opportunities_changed) == (0, 1)
    assert LedgerLine.objects.get().unreconciled_quantity == 1
    assert Opportunity.objects.get().units_open == 1


def test_a_bad_file_is_refused_whole_naming_line_and_field(acme_amazon, ledger_file):
    path = ledger_file([row(quantity=-1), row(quantity="x")], delimiter=",")
    with pytest.raises(CommandError) as error:
        run_command(path, "--seller-account", "A1ACMEAMAZON")
    assert str(error.value) == (
        "ledger.tsv: 1 problem, nothing was imported.\n  line 3, Quantity: 'x' is not a whole number"
    )
    assert (LedgerLine.objects.count(), Opportunity.objects.count()) == (0, 0)
    assert SyncRun.objects.get().status == RunStatus.FAILED


def test_an_unknown_seller_account_is_refused(acme_amazon, ledger_file):
    with pytest.raises(CommandError, match="No Amazon seller account with seller ID 'A9NOPE'"):
        run_command(ledger_file([row()]), "--seller-account", "A9NOPE")


def test_a_line_of_another_account_or_tenant_never_touches_this_ones_opportunities(acme, acme_amazon, globex_amazon):
    import_rows(acme_amazon, [row(quantity=-2)])
    with scope(tenant=globex_amazon.tenant):
        import_rows(globex_amazon, [row(quantity=-5), row(reason="F", quantity=2, ref="F1")])
        add_reimbursement(globex_amazon, "10.00", units=2)
    ours = Opportunity.objects.get(tenant=acme)
    assert (ours.units_open, ours.value_source) == (2, "unvalued")
    with scope(tenant=globex_amazon.tenant):
        theirs = Opportunity.objects.get(tenant=globex_amazon.tenant)
        assert theirs.units_open == 3
    add_reimbursement(acme_amazon, "12.50", units=1)
    import_rows(acme_amazon, [row(quantity=-2), row(ref="R9", quantity=-1)])
    ours = Opportunity.objects.get(tenant=acme, reference_id="R1")
    assert (ours.units_open, ours.value_per_unit, ours.amount, ours.currency) == (1, Decimal("12.50"), Decimal("12.50"), "USD")
    with scope(tenant=globex_amazon.tenant):
        assert Opportunity.objects.get(tenant=globex_amazon.tenant).units_open == 3


def test_staff_upload_a_ledger_in_admin(sam_client, acme_amazon):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("admin:sync_syncrun_upload_ledger")
    bad = SimpleUploadedFile("bad.csv", "".join(ledger_lines([row(), row(quantity="")], delimiter=",")).encode())
    response = sam_client.post(url, {"seller_account": acme_amazon.pk, "report": bad})
    assert response.status_code == 200
    assert "Line 3, <code>Quantity</code>: is empty" in response.content.decode()
    assert LedgerLine.objects.count() == 0
    good = SimpleUploadedFile("good.csv", "".join(ledger_lines([row()], delimiter=",")).encode())
    response = sam_client.post(url, {"seller_account": acme_amazon.pk, "report": good})
    assert response.status_code == 302
    assert (LedgerLine.objects.count(), Opportunity.objects.count()) == (1, 1)
    assert sam_client.get(reverse("admin:sync_syncrun_changelist")).status_code == 200


def test_a_reimbursements_report_settles_and_values_the_opportunities_of_its_fnskus(acme_amazon):
    from sync.ingest import import_report
    from sync.models import RunKind
    from sync.report_writer import report_header, report_line
    from tests.ledger.helpers import days_ago

    import_rows(acme_amazon, [row(quantity=-3, on=days_ago(40))])
    approved = f"{days_ago(10).isoformat()}T10:00:00+00:00"
    line = report_line({
        "approval-date": approved, "reimbursement-id": "R77", "reason": "Lost_Warehouse", "sku": "SKU-1",
        "fnsku": "X000000001", "asin": "B000000001", "currency-unit": "USD", "amount-per-unit": "9.00",
        "amount-total": "18.00", "quantity-reimbursed-cash": "2", "quantity-reimbursed-inventory": "0",
        "quantity-reimbursed-total": "2",
    })
    import_report(seller_account=acme_amazon, lines=[report_header() + "\n", line + "\n"], source="r.tsv",
                  kind=RunKind.FILE)
    opportunity = Opportunity.objects.get()
    assert (opportunity.units_open, opportunity.amount, opportunity.value_source) == (1, Decimal("9.00"), "reimbursement")


def test_voiding_the_reimbursements_import_reopens_and_unvalues_what_it_had_settled(acme_amazon, sam):
    from sync.ingest import import_report
    from sync.models import RunKind
    from sync.report_writer import report_header, report_line
    from sync.voids import run_void
    from tests.ledger.helpers import days_ago

    import_rows(acme_amazon, [row(quantity=-3, on=days_ago(40))])
    line = report_line({
        "approval-date": f"{days_ago(10).isoformat()}T10:00:00+00:00", "reimbursement-id": "R77",
        "reason": "Lost_Warehouse", "sku": "SKU-1", "fnsku": "X000000001", "currency-unit": "USD",
        "amount-per-unit": "9.00", "amount-total": "18.00", "quantity-reimbursed-cash": "2",
        "quantity-reimbursed-inventory": "0", "quantity-reimbursed-total": "2",
    })
    run = import_report(seller_account=acme_amazon, lines=[report_header() + "\n", line + "\n"], source="r.tsv",
                        kind=RunKind.FILE)
    assert Opportunity.objects.get().units_open == 1

    run_void(run=run, actor=sam, reason="Another seller's report")

    opportunity = Opportunity.objects.get()
    assert (opportunity.units_open, opportunity.amount, opportunity.value_source) == (3, None, "unvalued")


def test_a_reimbursement_staff_enter_by_hand_settles_and_values_the_opportunity_of_its_fnsku(acme_amazon, sam):
    from cases.records import record_add_manual
    from cases.voids import record_void
    from tests.ledger.helpers import days_ago

    import_rows(acme_amazon, [row(quantity=-3, on=days_ago(40))])
    approved = days_ago(10)
    record = record_add_manual(
        seller_account=acme_amazon, actor=sam, reimbursement_id="M1", reason="Lost_Warehouse",
        approval_date=dt.datetime(approved.year, approved.month, approved.day, 10, tzinfo=dt.UTC),
        currency="USD", amount_per_unit=Decimal("7.00"), amount_total=Decimal("14.00"), quantity_cash=2,
        sku="SKU-1", fnsku="X000000001",
    )
    opportunity = Opportunity.objects.get()
    assert (opportunity.units_open, opportunity.amount, opportunity.value_source) == (1, Decimal("7.00"),
                                                                                      "reimbursement")

    record_void(record=record, actor=sam, reason="Typed into the wrong account")

    opportunity = Opportunity.objects.get()
    assert (opportunity.units_open, opportunity.amount) == (3, None)
