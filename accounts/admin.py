"""Tenants, their seller accounts and who may see them, for the reimbursement team."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from sync.models import RunKind
from sync.outbox import poll_request
from sync.services import account_poll_problem, seller_account_set_credentials

from .forms import SpApiCredentialsForm
from .models import Marketplace, Membership, SellerAccount, Tenant

CREDENTIAL_FIELDS = ["client_id", "client_secret", "refresh_token"]


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
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SellerAccountInline]


@admin.register(SellerAccount)
class SellerAccountAdmin(admin.ModelAdmin):
    """Only the fields named in `fieldsets` are shown: add a credential field here only if it is not secret.

    Credentials are typed in on their own page (`credentials_view`) and only said to be stored or not.
    """

    change_form_template = "admin/accounts/selleraccount/change_form.html"
    list_display = [
        "label", "tenant", "name", "connected", "service_initiated_on", "sync_backend",
        "last_synced_at", "next_sync_at", "last_sync_failed", "needs_reconnect",
    ]
    list_filter = ["tenant", "marketplace", "region", "connected", "needs_reconnect", "sync_backend"]
    list_select_related = ["tenant"]
    search_fields = ["external_id", "name", "tenant__name"]
    actions = ["poll_now"]
    fieldsets = [
        (None, {"fields": ["tenant", "marketplace", "external_id", "name", "region", "marketplace_ids"]}),
        ("Service", {"fields": ["connected", "service_initiated_on", "needs_reconnect"]}),
        ("Sync", {"fields": [
            "sync_backend", "sync_interval_hours",
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

    @admin.action(description="Poll now", permissions=["change"])
    def poll_now(self, request, queryset):
        """Queue a poll of each selected account (through the outbox); say which cannot be polled."""
        queued, skipped = 0, []
        for account in queryset.order_by("pk"):
            problem = account_poll_problem(seller_account=account)
            if problem:
                skipped.append(f"{account.label} ({problem})")
                continue
            poll_request(seller_account_id=account.pk, kind=RunKind.MANUAL_POLL)
            queued += 1
        if queued:
            plural = "s" if queued != 1 else ""
            self.message_user(request, f"Queued a poll of {queued} seller account{plural}.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"Not polled: {'; '.join(skipped)}.", messages.WARNING)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_credentials"
        view = sensitive_post_parameters(*CREDENTIAL_FIELDS)(self.credentials_view)
        return [
            path("<path:object_id>/credentials/", self.admin_site.admin_view(view), name=name),
            *super().get_urls(),
        ]

    @sensitive_variables()
    def credentials_view(self, request, object_id):
        """Staff store an Amazon account's SP-API authorization through `seller_account_set_credentials`."""
        account = self.get_object(request, unquote(object_id))
        if account is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, account):
            raise PermissionDenied
        change_url = reverse("admin:accounts_selleraccount_change", args=[account.pk])
        if account.marketplace != Marketplace.AMAZON:
            self.message_user(request, "Only Amazon accounts connect through SP-API.", messages.ERROR)
            return redirect(change_url)
        form = SpApiCredentialsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            seller_account_set_credentials(seller_account=account, **form.cleaned_data)
            self.log_change(request, account, "Stored new SP-API credentials.")
            self.message_user(
                request,
                f"SP-API credentials of {account.label} stored; it is polled through SP-API from now on.",
                messages.SUCCESS,
            )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Connect SP-API credentials of {account.label}",
            "opts": self.opts,
            "original": account,
            "form": form,
            "change_url": change_url,
            "submit_label": "Store credentials",
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/accounts/selleraccount/credentials.html", context)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "digest_opt_in", "created_at"]
    list_editable = ["digest_opt_in"]
    list_filter = ["tenant", "role", "digest_opt_in"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name"]
