"""Amazon Selling Partner API: request the FBA Reimbursements report (or the Inventory Ledger's detailed
view), wait for it, download it.

Runs python-amazon-sp-api with the account's own LWA credentials. Throttling (HTTP 429) is retried
with a growing pause a bounded number of times; revoked credentials raise CredentialsRejected.
The document is streamed to a temporary file, never held in memory whole.
"""

import datetime as dt
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from django.views.decorators.debug import sensitive_variables
from sp_api.api import Reports
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces
from sp_api.base.exceptions import (
    SellingApiException,
    SellingApiForbiddenException,
    SellingApiGatewayTimeoutException,
    SellingApiRequestThrottledException,
    SellingApiServerException,
    SellingApiTemporarilyUnavailableException,
)

from accounts.models import Marketplace, Region, SellerAccount
from sync.adapters.base import CredentialsRejected, MarketplaceAdapter, MarketplaceError, Throttled, lines_of
from sync.crypto import SecretUnreadable, secret_decrypt
from sync.ledger_writer import ledger_header
from sync.report import COLUMNS, decode_lines

logger = logging.getLogger(__name__)

REPORT_TYPE = "GET_FBA_REIMBURSEMENTS_DATA"
LEDGER_REPORT_TYPE = "GET_LEDGER_DETAIL_VIEW_DATA"
REPORT_NAMES = {REPORT_TYPE: "reimbursements report", LEDGER_REPORT_TYPE: "inventory ledger"}
REGION_MARKETPLACE = {Region.NA: Marketplaces.US, Region.EU: Marketplaces.DE, Region.FE: Marketplaces.JP}
UNAVAILABLE = (
    SellingApiServerException,
    SellingApiTemporarilyUnavailableException,
    SellingApiGatewayTimeoutException,
    httpx.TransportError,
)
RECONNECT = "Amazon no longer accepts our authorization for this account. Authorize us again in Seller Central."


def marketplace_of(account: SellerAccount) -> Marketplaces:
    """The report is region-wide: any marketplace of the account's region will do."""
    by_id = {member.marketplace_id: member for member in Marketplaces}
    for marketplace_id in account.marketplace_ids:
        if marketplace_id in by_id:
            return by_id[marketplace_id]
    return REGION_MARKETPLACE.get(account.region, Marketplaces.US)


class AmazonSpApiAdapter(MarketplaceAdapter):
    marketplaces = (Marketplace.AMAZON,)

    def __init__(
        self,
        *,
        report_poll_seconds: float = 30.0,
        report_max_polls: int = 60,
        throttle_retries: int = 4,
        throttle_pause_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.report_poll_seconds = report_poll_seconds
        self.report_max_polls = report_max_polls
        self.throttle_retries = throttle_retries
        self.throttle_pause_seconds = throttle_pause_seconds
        self.sleep = sleep

    def fetch_reimbursements(
        self, account: SellerAccount, *, since: dt.datetime, until: dt.datetime
    ) -> Iterator[str]:
        return self._fetch(account, REPORT_TYPE, since=since, until=until, empty="\t".join(COLUMNS))

    def fetch_ledger(self, account: SellerAccount, *, since: dt.datetime, until: dt.datetime) -> Iterator[str]:
        return self._fetch(account, LEDGER_REPORT_TYPE, since=since, until=until, empty=ledger_header())

    def _fetch(
        self, account: SellerAccount, report_type: str, *, since: dt.datetime, until: dt.datetime, empty: str
    ) -> Iterator[str]:
        client = self._client(account)
        try:
            created = self._call(
                client.create_report, reportType=report_type, dataStartTime=since, dataEndTime=until
            )
            report_id = created.payload["reportId"]
            self.source = f"SP-API report {report_id}"
            document_id = self._wait_for(client, report_id, account, REPORT_NAMES[report_type])
            if document_id is None:
                return iter([empty])
            document = tempfile.TemporaryFile()
            try:
                response = self._call(client.get_report_document, document_id, file=document, stream=True)
            except BaseException:
                document.close()
                raise
        finally:
            client.close()
        declared = (response.character_code or "").lower()
        if declared and declared not in ("iso-8859-1", "utf-8"):
            return (raw.decode(declared, errors="replace") for raw in lines_of(document))
        return decode_lines(lines_of(document))

    @sensitive_variables("refresh_token", "client_secret")
    def _client(self, account: SellerAccount) -> Reports:
        try:
            refresh_token = secret_decrypt(ciphertext=account.lwa_refresh_token_encrypted)
            client_secret = secret_decrypt(ciphertext=account.lwa_client_secret_encrypted)
        except SecretUnreadable:
            logger.error("SP-API credentials of %s cannot be decrypted with FIELD_ENCRYPTION_KEY", account.label)
            raise CredentialsRejected(RECONNECT) from None
        if not (refresh_token and client_secret and account.lwa_client_id):
            raise CredentialsRejected("This account has no Amazon authorization yet. Authorize us in Seller Central.")
        return Reports(
            marketplace_of(account),
            refresh_token=refresh_token,
            credentials={"lwa_app_id": account.lwa_client_id, "lwa_client_secret": client_secret},
            timeout=60,
        )

    def _wait_for(self, client: Reports, report_id: str, account: SellerAccount, name: str) -> str | None:
        """The report's document ID once Amazon is done; None when there was nothing to report."""
        for _ in range(self.report_max_polls):
            report = self._call(client.get_report, report_id).payload
            status = report.get("processingStatus")
            if status == "DONE":
                return report["reportDocumentId"]
            if status == "CANCELLED":
                return None
            if status == "FATAL":
                logger.error("SP-API report %s of %s ended FATAL: %s", report_id, account.label, report)
                raise MarketplaceError(f"Amazon could not build the {name}.", retryable=True)
            self.sleep(self.report_poll_seconds)
        raise MarketplaceError(
            f"Amazon has not finished the {name} yet; we will ask again.", retryable=True
        )

    def _call(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One SP-API call, with 429 retried after growing pauses and errors turned into MarketplaceError."""
        attempt = 0
        while True:
            try:
                return operation(*args, **kwargs)
            except SellingApiRequestThrottledException:
                if attempt >= self.throttle_retries:
                    raise Throttled("Amazon is limiting our requests; we will try again shortly.") from None
                self.sleep(self.throttle_pause_seconds * 2**attempt)
                attempt += 1
            except AuthorizationError as error:
                if error.status_code in (400, 401, 403):
                    logger.warning("LWA refused the refresh token: %s (HTTP %s)", error.error_code, error.status_code)
                    raise CredentialsRejected(RECONNECT) from None
                raise MarketplaceError("Amazon's login service is unavailable.", retryable=True) from None
            except SellingApiForbiddenException:
                raise CredentialsRejected(RECONNECT) from None
            except UNAVAILABLE as error:
                raise MarketplaceError(
                    f"Amazon is unavailable ({type(error).__name__}); we will try again.", retryable=True
                ) from None
            except SellingApiException as error:
                raise MarketplaceError(
                    f"Amazon refused the request: {getattr(error, 'message', '') or type(error).__name__}",
                    retryable=False,
                ) from None
            except ValueError:
                raise MarketplaceError("Amazon sent an unreadable answer.", retryable=True) from None
