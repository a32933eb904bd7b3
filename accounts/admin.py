"""Tenants, their seller accounts and who may see them, for the reimbursement team."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Membership, SellerAccount, StaffView, Tenant


def _yes_no(value) -> str:
    return "yes" if value else "no"


class SellerAccountInline(admin.TabularInline):
    model = SellerAccount
    fields = ["marketplace", "region", "external_id", "name", "connected", "service_initiated_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at", "view_as_seller"]

    @admin.display(description="Seller pages")
    def view_as_seller(self, tenant):
        """Open the tenant's seller pages read-only; each page opened is logged (Staff views)."""
        return format_html('<a href="{}">View as seller</a>', reverse("cases:overall", args=[tenant.slug]))
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SellerAccountInline]


@admin.register(SellerAccount)
class SellerAccountAdmin(admin.ModelAdmin):
    """Only the fields named in `fieldsets` are shown: add a credential field here only if it is not secret.

    Credentials are typed in on their own page and only said to be stored or not: `sync.admin` registers
    this admin extended with that page and the "Poll now" action, which need the sync app.
    """

    list_display = [
        "label", "tenant", "name", "connected", "service_initiated_on", "sync_backend",
        "last_synced_at", "next_sync_at", "last_sync_failed", "needs_reconnect",
    ]
    list_filter = ["tenant", "marketplace", "region", "connected", "needs_reconnect", "sync_backend"]
    list_select_related = ["tenant"]
    search_fields = ["external_id", "name", "tenant__name"]
    fieldsets = [
        (None, {"fields": ["tenant", "marketplace", "external_id", "name", "region", "marketplace_ids"]}),
        ("Service", {"fields": ["connected", "service_initiated_on", "needs_reconnect"]}),
        ("Sync", {"fields": [
            "sync_backend", "sync_interval_hours", "ledger_polled",
            "last_synced_at", "next_sync_at", "last_sync_failed_at", "last_sync_error",
        ]}),
        ("SP-API credentials", {"fields": [
            "client_id_stored", "client_secret_stored", "refresh_token_stored",
        ]}),
    ]
    sync_status_fields = [
        "last_synced_at", "next_sync_at", "last_sync_failed_at", "last_sync_error",
        "client_id_stored", "client_secret_stored", "refresh_token_stored",
    ]

    @admin.display(description="seller account", ordering="external_id")
    def label(self, account):
        return account.label

    @admin.display(description="last sync failed", boolean=True)
    def last_sync_failed(self, account):
        return account.last_sync_failed

    @admin.display(description="LWA client ID stored")
    def client_id_stored(self, account):
        return _yes_no(account.lwa_client_id)

    @admin.display(description="Client secret stored")
    def client_secret_stored(self, account):
        return _yes_no(account.lwa_client_secret_encrypted)

    @admin.display(description="Refresh token stored")
    def refresh_token_stored(self, account):
        return _yes_no(account.lwa_refresh_token_encrypted)

    def get_readonly_fields(self, request, obj=None):
        """The tenant of an account with cases cannot change; the sync writes its own status."""
        if obj is None:
            return self.sync_status_fields
        return ["tenant", "marketplace", *self.sync_status_fields]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "digest_opt_in", "created_at"]
    list_editable = ["digest_opt_in"]
    list_filter = ["tenant", "role", "digest_opt_in"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name"]


@admin.register(StaffView)
class StaffViewAdmin(admin.ModelAdmin):
    """Who opened which tenant's seller pages: read-only, never deleted."""

    list_display = ["opened_at", "user", "tenant", "path"]
    list_filter = ["tenant"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__username", "tenant__name", "path"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
