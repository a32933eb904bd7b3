"""The sandbox marketplace answers cases deterministically: same seed, cases and window, same rows."""

import datetime as dt
from collections import Counter
from typing import NamedTuple

import pytest
from django.utils import timezone

from cases.models import CaseStatus
from cases.services import case_transition
from sync.adapters.sandbox import SandboxAdapter
from sync.ingest import ingest_report
from sync.report import COLUMNS
from tests.worker_helpers import make_sandbox_cases, sandbox_rows

pytestmark = pytest.mark.usefixtures("acme_scope")

class Window(NamedTuple):
    since: dt.datetime
    until: dt.datetime


@pytest.fixture
def window(cases) -> Window:
    """The last 18 months up to now, taken when the test runs (after its cases were filed), never at import."""
    until = timezone.now().replace(microsecond=0)
    return Window(until - dt.timedelta(days=548), until)


@pytest.fixture
def cases(acme_amazon):
    return make_sandbox_cases(acme_amazon, 80)


def test_the_same_seed_cases_and_window_give_the_same_rows(acme_amazon, cases, window):
    assert sandbox_rows(acme_amazon, *window, seed=7) == sandbox_rows(acme_amazon, *window, seed=7)


def test_another_seed_gives_other_rows(acme_amazon, cases, window):
    assert sandbox_rows(acme_amazon, *window, seed=7) != sandbox_rows(acme_amazon, *window, seed=8)


def test_approval_dates_lie_in_the_window_and_split_windows_add_up(acme_amazon, cases, window):
    middle = window.until - dt.timedelta(days=120)
    early, late = sandbox_rows(acme_amazon, window.since, middle), sandbox_rows(acme_amazon, middle, window.until)

    assert early and late, "both windows hold rows, so the checks below are about something"
    assert all(window.since.isoformat() <= row["approval-date"] < middle.isoformat() for row in early)
    assert all(middle.isoformat() <= row["approval-date"] < window.until.isoformat() for row in late)
    assert Counter(map(str, early + late)) == Counter(map(str, sandbox_rows(acme_amazon, *window)))


def test_it_answers_with_full_partial_reversed_and_automatic_reimbursements(acme_amazon, cases, window):
    rows = sandbox_rows(acme_amazon, *window, seed=1)
    reasons = Counter(row["reason"] for row in rows)
    per_case = Counter(row["case-id"] for row in rows if row["case-id"])

    assert reasons["Reimbursement_Reversal"] >= 1
    assert any(row["amount-total"].startswith("-") for row in rows)
    assert any(not row["case-id"] for row in rows), "an automatic reimbursement has no case ID"
    assert any(count >= 2 for count in per_case.values()), "some cases are paid in installments"
    assert 0 < len(per_case) < len(cases), "some cases stay unanswered"


def test_rows_do_not_depend_on_what_was_already_ingested(acme_amazon, cases, window):
    before = sandbox_rows(acme_amazon, *window)
    lines = SandboxAdapter(delay_seconds=0).fetch_reimbursements(acme_amazon, since=window.since, until=window.until)
    ingest_report(seller_account=acme_amazon, lines=lines, source="sandbox test")

    assert sandbox_rows(acme_amazon, *window) == before


def test_it_reports_nothing_for_another_tenants_cases(acme_amazon, globex_amazon, cases, window):
    make_sandbox_cases(globex_amazon, 30)
    acme_case_ids = {case.marketplace_case_id for case in cases}

    assert {row["case-id"] for row in sandbox_rows(acme_amazon, *window) if row["case-id"]} <= acme_case_ids


def test_cases_staff_found_not_eligible_get_nothing(acme_amazon, cases, staff_user, window):
    answered = {row["case-id"] for row in sandbox_rows(acme_amazon, *window) if row["case-id"]}
    denied = next(case for case in cases if case.marketplace_case_id in answered)
    case_transition(case=denied, to_status=CaseStatus.NOT_ELIGIBLE, actor=staff_user, reason="Denied by Amazon")

    assert denied.marketplace_case_id not in {row["case-id"] for row in sandbox_rows(acme_amazon, *window)}


def test_a_case_answered_by_a_report_file_is_left_alone(acme_amazon, cases, window):
    answered = {row["case-id"] for row in sandbox_rows(acme_amazon, *window) if row["case-id"]}
    case = next(case for case in cases if case.marketplace_case_id in answered)
    line = "\t".join([
        "2026-01-05T00:00:00+00:00", "1234567", case.marketplace_case_id, "", "Lost_Warehouse", "SKU-1", "", "", "",
        "", case.currency, "20.00", "20.00", "1", "0", "1", "", "",
    ])
    ingest_report(seller_account=acme_amazon, lines=["\t".join(COLUMNS), line], source="file.tsv")

    assert case.marketplace_case_id not in {row["case-id"] for row in sandbox_rows(acme_amazon, *window)}
