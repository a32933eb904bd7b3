"""Which adapter polls an account: the registry of adapters by sync backend."""

from accounts.models import SellerAccount, SyncBackend

from .amazon import AmazonSpApiAdapter
from .base import MarketplaceAdapter
from .sandbox import SandboxAdapter

ADAPTERS: dict[str, type[MarketplaceAdapter]] = {
    SyncBackend.SANDBOX: SandboxAdapter,
    SyncBackend.AMAZON_SP_API: AmazonSpApiAdapter,
}
"""The adapter of each backend with something to poll; `accounts.models.POLLED_MARKETPLACES` names the same
pairs (a test checks they agree). A Walmart adapter adds a backend here with
`marketplaces = (Marketplace.WALMART,)`, and the backend there."""


def adapter_for(account: SellerAccount) -> MarketplaceAdapter | None:
    """A fresh adapter for the account, or None when its backend has nothing to poll for its marketplace."""
    if not account.backend_polls_marketplace:
        return None
    return ADAPTERS[account.sync_backend]()
