"""Admin pieces shared by the apps whose models staff browse across tenants."""

from .models import SellerAccount


class ReadOnlyAdminMixin:
    """Facts and history: staff look, nobody adds, changes or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def account_choice_label(account: SellerAccount) -> str:
    """A seller account in a staff choice list, named with its tenant: staff work across tenants."""
    return f"{account.tenant.name} · {account.label}"
