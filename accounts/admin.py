"""Tenants, their seller accounts and who may see them, for the reimbursement team."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .access import staff_tenant_ids
from .admin_helpers import TENANT_FILTER
from .audit import audit_record
from .models import AuditEntry, Membership, SellerAccount, StaffView, Team, Tenant


def _yes_no(value) -> str:
    return "yes" if value else "no"


class StaffTenantsMixin:
    """A staff member who is not a superuser picks a tenant only among their teams' tenants (the
    database refuses a row of any other tenant anyway: accounts.access.staff_scope)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Tenant and not request.user.is_superuser:
            field.queryset = field.queryset.filter(pk__in=staff_tenant_ids(request.user))
        return field


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

    def get_queryset(self, request):
        tenants = super().get_queryset(request)
        return tenants if request.user.is_superuser else tenants.filter(pk__in=staff_tenant_ids(request.user))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Who works on which tenants: only superusers may see or change it (no staff permission names it)."""

    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members", "tenants"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        team = form.instance
        audit_record(actor=request.user, action="team changed" if change else "team added", target=team,
                     detail=f"members: {', '.join(sorted(u.get_username() for u in team.members.all())) or '-'}; "
                            f"tenants: {', '.join(sorted(t.slug for t in team.tenants.all())) or '-'}")

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="team deleted", target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            audit_record(actor=request.user, action="team deleted", target=team)
        super().delete_queryset(request, queryset)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Superusers read the audit log; nobody adds, changes or deletes an entry."""

    list_display = ["at", "actor", "action", "target", "detail"]
    list_filter = ["action"]
    search_fields = ["target", "detail", "actor__username"]
    readonly_fields = list_display

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SellerAccount)
class SellerAccountAdmin(StaffTenantsMixin, admin.ModelAdmin):
    """Only the fields named in `fieldsets` are shown: add a credential field here only if it is not secret.

    Credentials are typed in on their own page and only said to be stored or not: `sync.admin` registers
    this admin extended with that page and the "Poll now" action, which need the sync app.
    """

    list_display = [
        "label", "tenant", "name", "connected", "service_initiated_on", "sync_backend",
        "last_synced_at", "next_sync_at", "last_sync_failed", "needs_reconnect",
    ]
    list_filter = [TENANT_FILTER, "marketplace", "region", "connected", "needs_reconnect", "sync_backend"]
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
class MembershipAdmin(StaffTenantsMixin, admin.ModelAdmin):
    """Every change is written to the audit log (who may see which tenant)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = ", ".join(form.changed_data) if change else ""
        audit_record(actor=request.user, action="membership changed" if change else "membership added",
                     target=obj, detail=f"role {obj.role}; digest {'on' if obj.digest_opt_in else 'off'}"
                                        + (f"; changed: {changed}" if changed else ""))

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="membership deleted", target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "tenant"):
            audit_record(actor=request.user, action="membership deleted", target=membership)
        super().delete_queryset(request, queryset)

    list_display = ["user", "tenant", "role", "digest_opt_in", "created_at"]
    list_editable = ["digest_opt_in"]
    list_filter = [TENANT_FILTER, "role", "digest_opt_in"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name"]


@admin.register(StaffView)
class StaffViewAdmin(admin.ModelAdmin):
    """Who opened which tenant's seller pages: read-only, never deleted."""

    list_display = ["opened_at", "user", "tenant", "path"]
    list_filter = [TENANT_FILTER]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__username", "tenant__name", "path"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
