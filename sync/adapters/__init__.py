"""Marketplace adapters: one small interface, one registry, one typed error.

An adapter fetches a seller account's reimbursements for a time window as the lines of Amazon's
FBA Reimbursements report (tab-separated, header first), whatever the marketplace really speaks,
so that every source goes through the same parser and ingestion.
"""

import datetime as dt
from collections.abc import Iterator
from typing import IO, AnyStr

from django.db.models import Q

from accounts.models import SellerAccount, SyncBackend


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


def lines_of(report: IO[AnyStr]) -> Iterator[AnyStr]:
    """The lines of a spooled report from its start; the file is closed once they are read."""
    report.seek(0)
    with report:
        yield from report


# The adapters import the interface above, so they are imported after it.
from .amazon import AmazonSpApiAdapter  # noqa: E402
from .sandbox import SandboxAdapter  # noqa: E402

ADAPTERS: dict[str, type[MarketplaceAdapter]] = {
    SyncBackend.SANDBOX: SandboxAdapter,
    SyncBackend.AMAZON_SP_API: AmazonSpApiAdapter,
}
"""Backends with something to poll. `manual` has none: staff and report files move those cases.
A Walmart adapter adds a backend here with `marketplaces = (Marketplace.WALMART,)`."""


def adapter_for(account: SellerAccount) -> MarketplaceAdapter | None:
    """A fresh adapter for the account, or None when its backend has nothing to poll for its marketplace."""
    adapter_class = ADAPTERS.get(account.sync_backend)
    if adapter_class is None or account.marketplace not in adapter_class.marketplaces:
        return None
    return adapter_class()


def pollable_accounts_q() -> Q:
    """Accounts whose backend has an adapter for their marketplace."""
    q = Q(pk__in=[])
    for backend, adapter_class in ADAPTERS.items():
        q |= Q(sync_backend=backend, marketplace__in=adapter_class.marketplaces)
    return q


__all__ = [
    "ADAPTERS",
    "CredentialsRejected",
    "MarketplaceAdapter",
    "MarketplaceError",
    "Throttled",
    "adapter_for",
    "lines_of",
    "pollable_accounts_q",
]
