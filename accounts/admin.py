"""Tenants, their seller accounts and who may see them, for the reimbursement team."""

from django.contrib import admin

from .models import Membership, SellerAccount, Tenant


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
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SellerAccountInline]


@admin.register(SellerAccount)
class SellerAccountAdmin(admin.ModelAdmin):
    """Only the fields named in `fieldsets` are shown: add a credential field here only if it is not secret."""

    list_display = [
        "label", "tenant", "marketplace", "region", "name", "connected", "service_initiated_on",
        "needs_reconnect", "last_synced_at",
    ]
    list_filter = ["tenant", "marketplace", "region", "connected", "needs_reconnect", "sync_backend"]
    list_select_related = ["tenant"]
    search_fields = ["external_id", "name", "tenant__name"]
    fieldsets = [
        (None, {"fields": ["tenant", "marketplace", "external_id", "name", "region", "marketplace_ids"]}),
        ("Service", {"fields": ["connected", "service_initiated_on", "needs_reconnect"]}),
        ("Sync", {"fields": [
            "sync_backend", "lwa_client_id", "sync_interval_hours",
            "last_synced_at", "next_sync_at", "last_sync_failed_at", "last_sync_error",
        ]}),
    ]
    sync_status_fields = ["last_synced_at", "next_sync_at", "last_sync_failed_at", "last_sync_error"]

    @admin.display(description="seller account", ordering="external_id")
    def label(self, account):
        return account.label

    def get_readonly_fields(self, request, obj=None):
        """The tenant of an account with cases cannot change; the sync writes its own status."""
        if obj is None:
            return self.sync_status_fields
        return ["tenant", "marketplace", *self.sync_status_fields]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["tenant", "role"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name"]
