"""Which adapter polls an account: the registry of adapters by sync backend."""

from django.db.models import Q

from accounts.models import SellerAccount, SyncBackend

from .amazon import AmazonSpApiAdapter
from .base import MarketplaceAdapter
from .sandbox import SandboxAdapter

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
