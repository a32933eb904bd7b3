"""Reads of accounts data. Every selector filters by tenant explicitly, on top of the scoped manager."""

from accounts.models import SellerAccount, Tenant


def seller_account_list(*, tenant: Tenant) -> list[SellerAccount]:
    """The tenant's seller accounts, in the order they are shown everywhere."""
    return list(SellerAccount.objects.filter(tenant=tenant).order_by("marketplace", "region", "external_id", "id"))
