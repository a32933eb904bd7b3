"""The SP-API adapter runs the real python-amazon-sp-api client; only Amazon's HTTP endpoints are faked (respx)."""

import datetime as dt
import gzip
import json
import uuid
from decimal import Decimal

import httpx
import pytest
import respx

from cases.models import Case, CaseStatus
from sync.adapters.amazon import AmazonSpApiAdapter
from sync.adapters.base import CredentialsRejected, Throttled
from sync.models import RunKind, RunStatus, SyncRun
from sync.report import COLUMNS
from sync.services import account_poll, seller_account_set_credentials
from tests import factories

pytestmark = pytest.mark.usefixtures("acme_scope")

LWA = "https://api.amazon.com/auth/o2/token"
SP_API = "https://sellingpartnerapi-na.amazon.com/reports/2021-06-30"
DOCUMENT_URL = "https://tortuga-prod-na.s3-external-1.amazonaws.com/report-doc-1"
SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def report_line(case_id: str, **values: str) -> str:
    row = {column: "" for column in COLUMNS}
    row.update({
        "approval-date": "2026-02-10T08:00:00+00:00", "reimbursement-id": "9876543210", "case-id": case_id,
        "reason": "Lost_Warehouse", "sku": "SKU-1", "currency-unit": "USD", "amount-per-unit": "20.00",
        "amount-total": "40.00", "quantity-reimbursed-cash": "2", "quantity-reimbursed-inventory": "0",
        "quantity-reimbursed-total": "2",
    })
    row.update(values)
    return "\t".join(row[column] for column in COLUMNS)


@pytest.fixture
def amazon_account(acme):
    account = factories.make_seller_account(acme, "A1SPAPISELLER")
    return seller_account_set_credentials(
        seller_account=account, client_id="amzn1.application-oa2-client.test",
        client_secret="client-secret-value", refresh_token=f"Atzr|{uuid.uuid4()}",
    )


def amazon_routes(router: respx.Router, document: str, *, create: list[httpx.Response] | None = None) -> None:
    router.post(LWA).respond(200, json={"access_token": "Atza|access", "token_type": "bearer", "expires_in": 3600})
    router.post(f"{SP_API}/reports").mock(side_effect=create or [httpx.Response(202, json={"reportId": "50001"})])
    router.get(f"{SP_API}/reports/50001").mock(side_effect=[
        httpx.Response(200, json={"reportId": "50001", "processingStatus": "IN_PROGRESS"}),
        httpx.Response(200, json={"reportId": "50001", "processingStatus": "DONE", "reportDocumentId": "DOC-1"}),
    ])
    router.get(f"{SP_API}/documents/DOC-1").respond(
        200, json={"reportDocumentId": "DOC-1", "url": DOCUMENT_URL, "compressionAlgorithm": "GZIP"}
    )
    router.get(DOCUMENT_URL).respond(200, content=gzip.compress(document.encode("utf-8")),
                                     headers={"Content-Type": "text/plain; charset=UTF-8"})


def throttled() -> httpx.Response:
    return httpx.Response(429, json={"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]})


def fast_adapter(pauses: list[float] | None = None) -> AmazonSpApiAdapter:
    return AmazonSpApiAdapter(report_poll_seconds=0.5, throttle_pause_seconds=1.0,
                              sleep=(pauses if pauses is not None else []).append)


@respx.mock(assert_all_called=True)
def test_it_requests_the_report_for_the_window_and_yields_its_lines(respx_mock, amazon_account):
    document = "\r\n".join(["\t".join(COLUMNS), report_line("1001"), report_line("")]) + "\r\n"
    amazon_routes(respx_mock, document)
    adapter = fast_adapter()

    lines = list(adapter.fetch_reimbursements(amazon_account, since=SINCE, until=UNTIL))

    assert [line.rstrip("\r\n") for line in lines] == document.split("\r\n")[:3]
    assert adapter.source == "SP-API report 50001"
    created = json.loads(respx_mock.calls[1].request.content)
    assert created["reportType"] == "GET_FBA_REIMBURSEMENTS_DATA"
    assert created["dataStartTime"] == SINCE.isoformat() and created["dataEndTime"] == UNTIL.isoformat()


@respx.mock
def test_it_sends_the_decrypted_refresh_token_to_amazon_but_stores_it_encrypted(respx_mock, amazon_account):
    amazon_routes(respx_mock, "\t".join(COLUMNS) + "\n")
    list(fast_adapter().fetch_reimbursements(amazon_account, since=SINCE, until=UNTIL))

    token = respx_mock.calls[0].request.content.decode()
    assert "Atzr%7C" in token and "client-secret-value" in token
    amazon_account.refresh_from_db()
    assert "Atzr" not in amazon_account.lwa_refresh_token_encrypted
    assert "client-secret-value" not in amazon_account.lwa_client_secret_encrypted


@respx.mock
def test_it_backs_off_and_retries_when_amazon_throttles(respx_mock, amazon_account):
    amazon_routes(respx_mock, "\t".join(COLUMNS) + "\n" + report_line("1001") + "\n",
                  create=[throttled(), throttled(), httpx.Response(202, json={"reportId": "50001"})])
    pauses: list[float] = []

    lines = list(fast_adapter(pauses).fetch_reimbursements(amazon_account, since=SINCE, until=UNTIL))

    assert len(lines) == 2
    assert pauses == [1.0, 2.0, 0.5]


@respx.mock
def test_it_gives_up_with_a_retryable_throttled_error_when_throttling_persists(respx_mock, amazon_account):
    amazon_routes(respx_mock, "", create=[throttled()] * 5)

    with pytest.raises(Throttled) as raised:
        list(fast_adapter().fetch_reimbursements(amazon_account, since=SINCE, until=UNTIL))

    assert raised.value.retryable


@respx.mock
def test_it_yields_only_the_header_when_amazon_cancels_an_empty_report(respx_mock, amazon_account):
    respx_mock.post(LWA).respond(200, json={"access_token": "Atza|access", "expires_in": 3600})
    respx_mock.post(f"{SP_API}/reports").respond(202, json={"reportId": "50001"})
    respx_mock.get(f"{SP_API}/reports/50001").respond(200, json={"processingStatus": "CANCELLED"})

    assert list(fast_adapter().fetch_reimbursements(amazon_account, since=SINCE, until=UNTIL)) == ["\t".join(COLUMNS)]


@respx.mock
def test_a_revoked_refresh_token_is_a_non_retryable_credentials_error(respx_mock, amazon_account):
    respx_mock.post(LWA).respond(400, json={"error": "invalid_grant",
                                            "error_description": "The request has an invalid grant parameter"})

    with pytest.raises(CredentialsRejected) as raised:
        list(fast_adapter().fetch_reimbursements(amazon_account, since=SINCE, until=UNTIL))

    assert not raised.value.retryable
    assert amazon_account.lwa_client_id not in str(raised.value)


@respx.mock
def test_a_poll_with_a_revoked_token_marks_the_account_needs_reconnect(respx_mock, amazon_account, caplog):
    respx_mock.post(LWA).respond(401, json={"error": "invalid_client",
                                            "error_description": "Client authentication failed"})

    with pytest.raises(CredentialsRejected):
        account_poll(seller_account_id=amazon_account.pk, kind=RunKind.POLL)

    amazon_account.refresh_from_db()
    assert amazon_account.needs_reconnect
    assert "Authorize us again" in amazon_account.last_sync_error
    assert amazon_account.last_sync_failed_at is not None and amazon_account.last_synced_at is None
    run = SyncRun.objects.get(seller_account=amazon_account)
    assert run.status == RunStatus.FAILED and "Authorize us again" in run.error
    assert "Atzr" not in caplog.text and "client-secret-value" not in caplog.text


@respx.mock
def test_a_poll_through_sp_api_moves_the_matching_case(respx_mock, amazon_account):
    case = factories.make_case(amazon_account, marketplace_case_id="1001", units_claimed=2,
                               claimed_amount=Decimal("40.00"))
    respx_mock.post(LWA).respond(200, json={"access_token": "Atza|access", "expires_in": 3600})
    respx_mock.post(f"{SP_API}/reports").respond(202, json={"reportId": "50001"})
    respx_mock.get(f"{SP_API}/reports/50001").respond(
        200, json={"processingStatus": "DONE", "reportDocumentId": "DOC-1"})
    respx_mock.get(f"{SP_API}/documents/DOC-1").respond(200, json={"reportDocumentId": "DOC-1", "url": DOCUMENT_URL})
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).replace(microsecond=0).isoformat()
    respx_mock.get(DOCUMENT_URL).respond(
        200, text="\t".join(COLUMNS) + "\n" + report_line("1001", **{"approval-date": recent}) + "\n")

    run = account_poll(seller_account_id=amazon_account.pk, kind=RunKind.POLL)

    assert (run.status, run.rows_new, run.cases_changed) == (RunStatus.SUCCEEDED, 1, 1)
    assert run.source == "SP-API report 50001"
    case = Case.objects.get(pk=case.pk)
    assert case.status == CaseStatus.FULLY_REIMBURSED and case.recovered_amount == Decimal("40.00")
    amazon_account.refresh_from_db()
    assert amazon_account.last_synced_at is not None and not amazon_account.needs_reconnect
    assert run.window_end - run.window_start == dt.timedelta(days=548)
