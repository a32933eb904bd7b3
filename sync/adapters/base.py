"""The interface every marketplace adapter implements, and its one typed error.

An adapter fetches a seller account's reimbursements for a time window as the lines of Amazon's
FBA Reimbursements report (tab-separated, header first), whatever the marketplace really speaks,
so that every source goes through the same parser and ingestion.
"""

import datetime as dt
from collections.abc import Iterator
from typing import IO, AnyStr

from accounts.models import SellerAccount


class MarketplaceError(Exception):
    """The marketplace did not give us the report. `retryable` says whether trying later can help.

    `message` is written for the seller: it is shown on their pages as the last sync error.
    """

    retryable: bool

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class Throttled(MarketplaceError):
    def __init__(self, message: str = "The marketplace is limiting our requests; we will try again shortly."):
        super().__init__(message, retryable=True)


class CredentialsRejected(MarketplaceError):
    """The marketplace no longer accepts our authorization: the seller must reconnect."""

    def __init__(self, message: str = "The marketplace no longer accepts our authorization for this account."):
        super().__init__(message, retryable=False)


class MarketplaceAdapter:
    """Fetches reimbursement report lines for one account.

    `fetch_reimbursements` does all its work (requests, downloads, queries) when called, and
    returns an iterator of report lines (header first) for reimbursements approved in
    [since, until) that touches neither the network nor the database: ingestion reads it while
    it streams rows into the database. By then `source` names what was fetched (a report ID, a seed).
    """

    marketplaces: tuple[str, ...] = ()
    source: str = ""

    def fetch_reimbursements(
        self, account: SellerAccount, *, since: dt.datetime, until: dt.datetime
    ) -> Iterator[str]:
        raise NotImplementedError

    def fetch_ledger(self, account: SellerAccount, *, since: dt.datetime, until: dt.datetime) -> Iterator[str]:
        """The lines of the FBA Inventory Ledger's detailed view (header first, comma- or tab-separated) for
        events in [since, until), fetched as `fetch_reimbursements` fetches its report; `source` names it."""
        raise NotImplementedError


def lines_of(report: IO[AnyStr]) -> Iterator[AnyStr]:
    """The lines of a spooled report from its start; the file is closed once they are read."""
    report.seek(0)
    with report:
        yield from report
