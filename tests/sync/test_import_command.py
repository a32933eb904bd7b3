"""Importing a report file: the operator's command and the staff upload in admin."""

import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from cases.models import Case, CaseEvent, CaseStatus, ReimbursementRecord
from sync.models import RunKind, RunStatus, SyncRun
from tests.factories import make_case, make_user
from tests.two_factor import login_verified

pytestmark = pytest.mark.usefixtures("acme_scope")

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def lost_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="1000000001", units_claimed=2, claimed_amount=Decimal("40.00"))


def run_command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_reimbursements", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_file_and_prints_a_summary(lost_case):
    out, _ = run_command(str(DATA / "report_basic.tsv"), "--seller-account", "A1ACMEAMAZON")
    assert out.strip() == (
        "Imported report_basic.tsv into Amazon NA A1ACMEAMAZON: 4 rows read, 4 new, 1 matched to cases; "
        "1 cases changed, 1 status changes."
    )
    assert Case.objects.get(pk=lost_case.pk).status == CaseStatus.PARTIALLY_REIMBURSED
    run = SyncRun.objects.get()
    assert (run.kind, run.status, run.source) == (RunKind.FILE, RunStatus.SUCCEEDED, "report_basic.tsv")


def test_running_the_command_twice_adds_nothing_the_second_time(lost_case):
    run_command(str(DATA / "report_basic.tsv"), "--seller-account", "A1ACMEAMAZON")
    events = CaseEvent.objects.count()
    out, _ = run_command(str(DATA / "report_basic.tsv"), "--seller-account", "A1ACMEAMAZON")
    assert "4 rows read, 0 new, 0 matched to cases; 0 cases changed, 0 status changes." in out
    assert (ReimbursementRecord.objects.count(), CaseEvent.objects.count()) == (4, events)


def test_the_command_reads_standard_input(lost_case, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO((DATA / "report_shuffled.tsv").read_bytes())))
    out, _ = run_command("-", "--seller-account", "A1ACMEAMAZON")
    assert "Imported standard input into Amazon NA A1ACMEAMAZON: 2 rows read, 2 new" in out


def test_the_command_reports_progress_on_stderr(acme_amazon):
    _, err = run_command(str(DATA / "report_basic.tsv"), "--seller-account", "A1ACMEAMAZON", "--progress-every", "2")
    assert err.splitlines() == ["2 lines read", "4 lines read", "5 lines read; saving new rows and matching cases"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_command_draws_a_bar_instead_of_progress_lines(acme_amazon):
    out, err = Terminal(), io.StringIO()

    call_command("import_reimbursements", str(DATA / "report_basic.tsv"), "--seller-account", "A1ACMEAMAZON",
                 "--progress-every", "2", stdout=out, stderr=err)

    assert err.getvalue() == ""
    assert "Saving new rows and matching cases" in out.getvalue()
    assert "Imported report_basic.tsv into Amazon NA A1ACMEAMAZON: 4 rows read" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_bad_file_exits_non_zero_naming_each_line_and_field_and_writes_nothing(acme_amazon):
    database = connection.settings_dict
    environment = {**os.environ, "DEBUG": "true",
                   "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"}
    finished = subprocess.run(
        [sys.executable, "manage.py", "import_reimbursements", str(DATA / "report_bad.tsv"),
         "--seller-account", "A1ACMEAMAZON"],
        cwd=Path(__file__).parent.parent.parent, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert finished.returncode == 1
    assert "report_bad.tsv: 5 problems, nothing was imported." in finished.stderr
    for expected in ("line 2, approval-date", "line 3, amount-total", "line 4, currency-unit",
                     "line 5, quantity-reimbursed-total", "line 6, quantity-reimbursed-cash"):
        assert expected in finished.stderr
    assert not ReimbursementRecord.objects.exists()
    assert SyncRun.objects.get().status == RunStatus.FAILED


def test_missing_columns_are_named_by_the_command(acme_amazon):
    with pytest.raises(CommandError, match="line 1, header: missing columns: currency-unit, amount-total"):
        run_command(str(DATA / "report_missing_columns.tsv"), "--seller-account", "A1ACMEAMAZON")


def test_an_unknown_seller_id_is_refused(acme_amazon):
    with pytest.raises(CommandError, match="No Amazon seller account with seller ID 'A1NOBODY'"):
        run_command(str(DATA / "report_basic.tsv"), "--seller-account", "A1NOBODY")


def test_a_missing_file_is_refused(acme_amazon):
    with pytest.raises(CommandError, match="Cannot read .*nowhere.tsv: No such file or directory"):
        run_command(str(DATA / "nowhere.tsv"), "--seller-account", "A1ACMEAMAZON")


@pytest.fixture
def staff_client(client, staff_user):
    login_verified(client, staff_user)
    return client


def upload(client, account, name):
    report = SimpleUploadedFile(name, (DATA / name).read_bytes(), content_type="text/tab-separated-values")
    return client.post(reverse("admin:sync_syncrun_upload"), {"seller_account": account.pk, "report": report})


def test_the_run_list_links_to_the_upload_and_offers_no_add(staff_client, acme_amazon):
    page = staff_client.get(reverse("admin:sync_syncrun_changelist"))
    assert page.status_code == 200
    assert reverse("admin:sync_syncrun_upload") in page.content.decode()
    assert reverse("admin:sync_syncrun_add") not in page.content.decode()


def test_staff_upload_a_report_and_see_the_run(staff_client, staff_user, lost_case):
    response = upload(staff_client, lost_case.seller_account, "report_basic.tsv")
    run = SyncRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:sync_syncrun_change", args=[run.pk])
    assert (run.status, run.actor, run.rows_new) == (RunStatus.SUCCEEDED, staff_user, 4)
    page = staff_client.get(response.url)
    assert "Imported report_basic.tsv into Amazon NA A1ACMEAMAZON: 4 rows read, 4 new" in page.content.decode()
    assert Case.objects.get(pk=lost_case.pk).status == CaseStatus.PARTIALLY_REIMBURSED


def test_a_bad_upload_lists_its_problems_and_writes_nothing(staff_client, lost_case):
    response = upload(staff_client, lost_case.seller_account, "report_bad.tsv")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported from report_bad.tsv: fix the lines below and upload it again." in page
    assert "Line 3, <code>amount-total</code>: &#x27;30,00&#x27; is not an amount" in page
    assert "Line 6, <code>quantity-reimbursed-cash</code>" in page
    assert not ReimbursementRecord.objects.exists()
    assert SyncRun.objects.get().status == RunStatus.FAILED


def test_a_failed_run_shows_its_error_read_only(staff_client, lost_case):
    upload(staff_client, lost_case.seller_account, "report_missing_columns.tsv")
    run = SyncRun.objects.get()
    page = staff_client.get(reverse("admin:sync_syncrun_change", args=[run.pk])).content.decode()
    assert "missing columns: currency-unit, amount-total" in page
    assert 'name="_save"' not in page


def test_a_seller_cannot_reach_the_upload(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:sync_syncrun_upload"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_staff_without_the_permission_to_add_records_cannot_upload(client, db):
    login_verified(client, make_user("viewer", is_staff=True))
    assert client.get(reverse("admin:sync_syncrun_upload")).status_code == 403
