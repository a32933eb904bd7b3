"""The poll fetches the Inventory Ledger beside the reimbursements report, each in its run, each failing apart.

SP-API runs the real python-amazon-sp-api client; only Amazon's HTTP endpoints are faked (respx).
"""

import gzip
import json

import httpx
import pytest
import respx
from django_scopes import scope

from ledger.models import LedgerLine, Opportunity
from sync.adapters import registry
from sync.adapters.base import MarketplaceError
from sync.ledger_writer import ledger_lines
from sync.models import RunKind, RunReport, RunStatus, SyncRun
from sync.report import COLUMNS
from sync.services import account_poll
from tests.ledger.helpers import days_ago, row
from tests.sync.test_adapters_amazon import LWA, SINCE, SP_API, UNTIL, amazon_account, fast_adapter  # noqa: F401

pytestmark = pytest.mark.usefixtures("acme_scope")
LEDGER_URL = "https://tortuga-prod-na.s3-external-1.amazonaws.com/ledger-doc-2"
REIMBURSEMENTS_URL = "https://tortuga-prod-na.s3-external-1.amazonaws.com/report-doc-1"


def routes(router, *, ledger_status="DONE", reimbursements_create=202):
    """Amazon answering both report types: the ledger as report 60001, the reimbursements as 50001."""
    def create(request):
        if json.loads(request.content)["reportType"] == "GET_LEDGER_DETAIL_VIEW_DATA":
            return httpx.Response(202, json={"reportId": "60001"})
        if reimbursements_create != 202:
            return httpx.Response(reimbursements_create, json={"errors": [{"code": "InternalFailure"}]})
        return httpx.Response(202, json={"reportId": "50001"})

    router.post(LWA).respond(200, json={"access_token": "Atza|access", "token_type": "bearer", "expires_in": 3600})
    router.post(f"{SP_API}/reports").mock(side_effect=create)
    router.get(f"{SP_API}/reports/50001").respond(
        200, json={"reportId": "50001", "processingStatus": "DONE", "reportDocumentId": "DOC-1"})
    router.get(f"{SP_API}/reports/60001").respond(
        200, json={"reportId": "60001", "processingStatus": ledger_status, "reportDocumentId": "DOC-2"})
    for doc, url in (("DOC-1", REIMBURSEMENTS_URL), ("DOC-2", LEDGER_URL)):
        router.get(f"{SP_API}/documents/{doc}").respond(
            200, json={"reportDocumentId": doc, "url": url, "compressionAlgorithm": "GZIP"})
    router.get(REIMBURSEMENTS_URL).respond(200, content=gzip.compress(("\t".join(COLUMNS) + "\n").encode()))
    ledger = "".join(ledger_lines([row(quantity=-2, on=days_ago(40))]))
    router.get(LEDGER_URL).respond(200, content=gzip.compress(ledger.encode()))


@pytest.fixture
def polled_account(amazon_account, monkeypatch):  # noqa: F811
    amazon_account.ledger_polled = True
    amazon_account.save(update_fields=["ledger_polled"])
    monkeypatch.setitem(registry.ADAPTERS, "amazon_sp_api", fast_adapter)
    return amazon_account


def runs(account):
    return {run.report: run for run in SyncRun.objects.filter(seller_account=account)}


@respx.mock
def test_the_sp_api_adapter_requests_the_ledger_report_for_the_window(respx_mock, amazon_account):  # noqa: F811
    routes(respx_mock)
    adapter = fast_adapter()
    lines = list(adapter.fetch_ledger(amazon_account, since=SINCE, until=UNTIL))
    assert lines[0].startswith("Date\tFNSKU") and "\tAdjustments\tR1\t-2\t" in lines[1]
    assert adapter.source == "SP-API report 60001"
    created = json.loads(respx_mock.calls[1].request.content)
    assert (created["reportType"], created["dataStartTime"]) == ("GET_LEDGER_DETAIL_VIEW_DATA", SINCE.isoformat())


@respx.mock
def test_one_poll_fetches_both_reports_each_in_its_run(respx_mock, polled_account):
    routes(respx_mock)
    account_poll(seller_account_id=polled_account.pk, kind=RunKind.POLL)
    by_report = runs(polled_account)
    assert by_report[RunReport.REIMBURSEMENTS].status == RunStatus.SUCCEEDED
    ledger = by_report[RunReport.LEDGER]
    assert (ledger.status, ledger.rows_new, ledger.source) == (RunStatus.SUCCEEDED, 1, "SP-API report 60001")
    assert Opportunity.objects.get().units_open == 2


@respx.mock
def test_a_failed_ledger_is_reported_on_its_run_and_leaves_the_reimbursements_poll_succeeded(
    respx_mock, polled_account
):
    routes(respx_mock, ledger_status="FATAL")
    account_poll(seller_account_id=polled_account.pk, kind=RunKind.POLL)
    by_report = runs(polled_account)
    assert by_report[RunReport.REIMBURSEMENTS].status == RunStatus.SUCCEEDED
    assert by_report[RunReport.LEDGER].status == RunStatus.FAILED
    assert by_report[RunReport.LEDGER].error == "Amazon could not build the inventory ledger."
    polled_account.refresh_from_db()
    assert polled_account.last_sync_error == "" and LedgerLine.objects.count() == 0


@respx.mock
def test_a_failed_reimbursements_report_still_lets_the_ledger_in(respx_mock, polled_account):
    routes(respx_mock, reimbursements_create=403)
    with pytest.raises(MarketplaceError):
        account_poll(seller_account_id=polled_account.pk, kind=RunKind.POLL)
    by_report = runs(polled_account)
    assert by_report[RunReport.REIMBURSEMENTS].status == RunStatus.FAILED
    assert by_report[RunReport.LEDGER].status == RunStatus.SUCCEEDED
    assert LedgerLine.objects.count() == 1


def test_the_sandbox_ledger_polled_twice_adds_nothing(acme, acme_amazon):
    acme_amazon.ledger_polled = True
    acme_amazon.save(update_fields=["ledger_polled"])
    account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.MANUAL_POLL)
    lines, opportunities = LedgerLine.objects.count(), Opportunity.objects.count()
    assert lines > 0 and opportunities > 0
    account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.MANUAL_POLL)
    assert (LedgerLine.objects.count(), Opportunity.objects.count()) == (lines, opportunities)
    with scope(tenant=acme):
        ledger_runs = SyncRun.objects.filter(report=RunReport.LEDGER, status=RunStatus.SUCCEEDED)
        assert ledger_runs.count() == 2 and ledger_runs.order_by("id").last().rows_new == 0


def test_the_sandbox_ledger_agrees_with_its_automatic_reimbursements(acme_amazon):
    acme_amazon.ledger_polled = True
    acme_amazon.save(update_fields=["ledger_polled"])
    account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.MANUAL_POLL)
    from cases.models import ReimbursementRecord
    automatic = ReimbursementRecord.objects.filter(seller_account=acme_amazon, case_reference="")
    settled = Opportunity.objects.filter(reference_id__startswith="SBXP")
    assert automatic.exists() and settled.exists()
    assert not settled.filter(units_open__gt=0).exclude(
        fnsku__in=automatic.values("fnsku")).exists()
    states = set(Opportunity.objects.with_state(today=days_ago(0)).values_list("state", flat=True))
    assert {"resolved", "expired", "ready"} <= states
