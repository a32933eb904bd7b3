"""Files that used to crash (500, "failed unexpectedly") are refused with a named error by every way in:
the admin upload, the import command and a poll. Nothing of them is written."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from cases.models import Case, CaseStatus, ReimbursementRecord
from cases.records import StagedLinesRefused, records_insert_staged
from sync.models import RunKind, RunStatus, SyncRun
from sync.report import COLUMNS, STAGING_COLUMNS, ReportError, staging_columns_sql
from sync.services import UNEXPECTED
from sync.tasks import poll_account
from tests.factories import make_case
from tests.sync.test_adapters_amazon import DOCUMENT_URL, LWA, SP_API, amazon_account  # noqa: F401
from tests.sync.test_ingest import snapshot

pytestmark = pytest.mark.usefixtures("acme_scope")

NEAR_LIMIT = "999999999999.99"


def report_text(*rows: dict[str, str]) -> str:
    base = {
        "approval-date": "2026-05-10T01:02:03+00:00", "reimbursement-id": "5001", "case-id": "1000000001",
        "reason": "Lost_Warehouse", "currency-unit": "USD", "amount-per-unit": "20.00", "amount-total": "20.00",
        "quantity-reimbursed-cash": "1", "quantity-reimbursed-inventory": "0", "quantity-reimbursed-total": "1",
    }
    lines = ["\t".join(COLUMNS)]
    for number, row in enumerate(rows):
        values = {**base, "reimbursement-id": str(5001 + number), **row}
        lines.append("\t".join(values.get(column, "") for column in COLUMNS))
    return "\n".join(lines) + "\n"


BAD_FILES = {
    "nul": (report_text({}, {"sku": "SKU\x00"}), "line 3, sku: holds a NUL character"),
    "year 1 with an offset": (report_text({"approval-date": "0001-01-01T00:00:00+05:00"}),
                              "line 2, approval-date: '0001-01-01T00:00:00+05:00' is out of the range of dates"),
    "year 9999 with an offset": (report_text({"approval-date": "9999-12-31T23:00:00-05:00"}),
                                 "line 2, approval-date: '9999-12-31T23:00:00-05:00' is out of the range of dates"),
    "a sum past 14 digits": (
        report_text({}, {"amount-per-unit": NEAR_LIMIT, "amount-total": NEAR_LIMIT},
                    {"amount-per-unit": NEAR_LIMIT, "amount-total": NEAR_LIMIT}),
        "line 2, amount-total: case 1000000001 would recover 2000000000019.98 USD, more than a case can hold",
    ),
}


@pytest.fixture
def lost_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="1000000001", units_claimed=2, claimed_amount=Decimal("40.00"))


@pytest.mark.parametrize("name", BAD_FILES)
def test_the_admin_upload_names_the_problem_and_writes_nothing(sam_client, lost_case, name):
    text, expected = BAD_FILES[name]
    before = snapshot()
    response = sam_client.post(reverse("admin:sync_syncrun_upload"), {
        "seller_account": lost_case.seller_account.pk,
        "report": SimpleUploadedFile("bad.tsv", text.encode(), content_type="text/tab-separated-values"),
    })
    assert response.status_code == 200
    line, rest = expected.split(", ", 1)
    field, message = rest.split(": ", 1)
    page = response.content.decode()
    assert f"{line.capitalize()}, <code>{field}</code>" in page
    assert message.replace("'", "&#x27;") in page
    assert snapshot() == before
    run = SyncRun.objects.get()
    assert run.status == RunStatus.FAILED and expected in run.error


@pytest.mark.parametrize("name", BAD_FILES)
def test_the_import_command_exits_non_zero_naming_the_problem(tmp_path, lost_case, name):
    text, expected = BAD_FILES[name]
    path = tmp_path / "bad.tsv"
    path.write_bytes(text.encode())
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        call_command("import_reimbursements", str(path), "--seller-account", lost_case.seller_account.external_id)
    assert expected in str(refused.value)
    assert snapshot() == before


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_poll_of_a_bad_report_records_the_report_error_and_is_not_retried(respx_mock, amazon_account, name):  # noqa: F811
    make_case(amazon_account, marketplace_case_id="1000000001", units_claimed=2, claimed_amount=Decimal("40.00"))
    text, expected = BAD_FILES[name]
    respx_mock.post(LWA).respond(200, json={"access_token": "Atza|access", "expires_in": 3600})
    respx_mock.post(f"{SP_API}/reports").respond(202, json={"reportId": "50001"})
    respx_mock.get(f"{SP_API}/reports/50001").respond(
        200, json={"processingStatus": "DONE", "reportDocumentId": "DOC-1"})
    respx_mock.get(f"{SP_API}/documents/DOC-1").respond(200, json={"reportDocumentId": "DOC-1", "url": DOCUMENT_URL})
    respx_mock.get(DOCUMENT_URL).respond(200, content=text.encode(),
                                         headers={"Content-Type": "text/plain; charset=UTF-8"})
    before = snapshot()

    result = poll_account.apply(args=[amazon_account.pk])

    assert result.state == "SUCCESS", "the run records the failure; the task is not retried"
    assert snapshot() == before
    run = SyncRun.objects.get(seller_account=amazon_account)
    assert run.status == RunStatus.FAILED and expected in run.error and UNEXPECTED not in run.error
    amazon_account.refresh_from_db()
    assert expected in amazon_account.last_sync_error


def crafted_line(line: int, **values) -> dict:
    return {name: "" for name in STAGING_COLUMNS} | {
        "line": line, "fingerprint": uuid.uuid4(), "approval_date": dt.datetime(2026, 5, 10, tzinfo=dt.UTC),
        "reimbursement_id": str(5000 + line), "case_reference": "1000000001", "reason": "Lost_Warehouse",
        "currency": "USD", "amount_per_unit": Decimal("20.00"), "amount_total": Decimal("20.00"), "quantity_cash": 1,
        "quantity_inventory": 0,
    } | values


def insert_crafted(seller_account, *lines: dict):
    """Stage `lines` the way no report parser would, and store them: the case limits are checked again there."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE crafted ({staging_columns_sql()})")
        try:
            for crafted in lines:
                placeholders = ", ".join(["%s"] * len(crafted))
                cursor.execute(f"INSERT INTO crafted ({', '.join(crafted)}) VALUES ({placeholders})",
                               list(crafted.values()))
            return records_insert_staged(seller_account=seller_account, staging_table="crafted",
                                         columns=STAGING_COLUMNS[2:], source="crafted")
        finally:
            cursor.execute("DROP TABLE crafted")


def test_a_crafted_line_cannot_drive_a_case_below_zero_without_a_reversal(acme_amazon, lost_case):
    """The parser refuses a negative line that is not a reversal; a staging table filled some other way is
    refused too, before anything is written."""
    before = snapshot()
    with pytest.raises(StagedLinesRefused) as refused:
        insert_crafted(acme_amazon, crafted_line(2, amount_total=Decimal("-500.00")))
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (2, "amount-total")
    assert problem.message == ("case 1000000001 would recover -500.00 USD: below zero, and no reversal or adjustment "
                               "explains it")
    assert str(refused.value) == f"line 2, amount-total: {problem.message}"
    assert snapshot() == before


def test_lines_driving_a_case_below_zero_are_named_by_their_first_negative_line(acme_amazon, lost_case):
    with pytest.raises(StagedLinesRefused) as refused:
        insert_crafted(acme_amazon, crafted_line(2, amount_total=Decimal("10.00")),
                       crafted_line(3, amount_total=Decimal("-500.00")), crafted_line(4, amount_total=Decimal("-1.00")))
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (3, "amount-total")
    assert "would recover -491.00 USD: below zero" in problem.message


def test_crafted_lines_cannot_take_a_case_past_the_amount_a_case_holds(acme_amazon, lost_case):
    before = snapshot()
    with pytest.raises(StagedLinesRefused) as refused:
        insert_crafted(acme_amazon, crafted_line(3, amount_total=Decimal("500000000000.00")),
                       crafted_line(2, amount_total=Decimal("499999999999.99")),
                       crafted_line(4, amount_total=Decimal("0.01")))
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (2, "amount-total"), "the case's first new line is named"
    assert problem.message == ("case 1000000001 would recover 1000000000000.00 USD, more than a case can hold "
                               "(under 1,000,000,000,000): not a real reimbursement")
    assert snapshot() == before


def test_crafted_lines_just_under_the_amount_a_case_holds_are_stored(acme_amazon, lost_case):
    result = insert_crafted(acme_amazon, crafted_line(2, amount_total=Decimal("999999999999.99")))
    assert (result.rows_new, result.rows_matched) == (1, 1)
    assert Case.objects.get(pk=lost_case.pk).recovered_amount == Decimal("999999999999.99")


def test_a_case_at_the_most_units_it_holds_is_refused_for_going_below_zero_not_for_its_units(acme_amazon, lost_case):
    before = snapshot()
    with pytest.raises(StagedLinesRefused) as refused:
        insert_crafted(acme_amazon, crafted_line(2, amount_total=Decimal("-500.00"), quantity_cash=2**31 - 1))
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (2, "amount-total")
    assert "would recover -500.00 USD: below zero" in problem.message
    assert snapshot() == before


@pytest.mark.parametrize("units, field, label", [
    ([(2**30, 0), (2**30, 0)], "quantity-reimbursed-cash", "2147483648 cash and 0 inventory"),
    ([(1, 2**30), (1, 2**30)], "quantity-reimbursed-inventory", "2 cash and 2147483648 inventory"),
    ([(2**31 - 2, 2**30), (1, 2**30)], "quantity-reimbursed-inventory", "2147483647 cash and 2147483648 inventory"),
], ids=["cash", "inventory", "inventory-with-cash-at-the-limit"])
def test_crafted_lines_cannot_take_a_case_past_the_units_a_case_holds(acme_amazon, lost_case, units, field, label):
    before = snapshot()
    with pytest.raises(StagedLinesRefused) as refused:
        insert_crafted(acme_amazon, *(crafted_line(line, quantity_cash=cash, quantity_inventory=inventory)
                                      for line, (cash, inventory) in enumerate(units, start=2)))
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (2, field)
    assert problem.message == f"case 1000000001 would have {label} units, more than a case can hold"
    assert snapshot() == before


def test_crafted_lines_refused_for_two_cases_name_each(acme_amazon, lost_case):
    make_case(acme_amazon, marketplace_case_id="1000000002", units_claimed=1, claimed_amount=Decimal("20.00"))
    before = snapshot()
    with pytest.raises(StagedLinesRefused) as refused:
        insert_crafted(acme_amazon, crafted_line(2, amount_total=Decimal("-500.00")),
                       *(crafted_line(line, case_reference="1000000002", quantity_inventory=2**30) for line in (3, 4)))
    assert [(p.line, p.field) for p in refused.value.problems] == [
        (2, "amount-total"), (3, "quantity-reimbursed-inventory")]
    assert str(refused.value) == "; ".join(f"line {p.line}, {p.field}: {p.message}" for p in refused.value.problems)
    assert snapshot() == before


def test_a_reversal_may_take_a_case_below_zero_when_its_original_came_earlier(acme_amazon, lost_case):
    """Amazon reverses a reimbursement paid before the tracker knew the account: the reversal explains it."""
    from sync.ingest import import_report

    text = report_text({"reason": "Reimbursement_Reversal", "amount-total": "-20.00",
                        "quantity-reimbursed-cash": "-1", "quantity-reimbursed-total": "-1",
                        "original-reimbursement-id": "4001", "original-reimbursement-type": "Lost_Warehouse"})
    import_report(seller_account=acme_amazon, lines=text.splitlines(keepends=True), source="r", kind=RunKind.FILE)
    case = Case.objects.get(pk=lost_case.pk)
    assert case.recovered_amount == Decimal("-20.00")
    assert ReimbursementRecord.objects.count() == 1
    assert case.status == CaseStatus.OPEN


def test_dates_are_checked_against_now(acme_amazon):
    tomorrow_and_more = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    from sync.ingest import ingest_report

    with pytest.raises(ReportError, match="line 2, approval-date: .* is in the future"):
        ingest_report(seller_account=acme_amazon, lines=report_text({"approval-date": tomorrow_and_more}).splitlines(),
                      source="r")
