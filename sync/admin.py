"""Sync runs, read-only; the staff upload of a report file downloaded from Seller Central; and, on the
seller account admin, the "Poll now" action and the page storing an account's SP-API credentials."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from accounts.admin import SellerAccountAdmin
from accounts.admin_helpers import TENANT_FILTER, ReadOnlyAdminMixin, account_choice_label, admin_form_page
from accounts.audit import audit_record
from accounts.models import Marketplace, SellerAccount
from cases.forms import VoidForm
from cases.voids import VoidRefused
from sync.forms import SpApiCredentialsForm
from sync.ingest import import_report
from sync.ledger_ingest import import_ledger
from sync.models import RunKind, RunStatus, SyncRun
from sync.outbox import poll_request
from sync.report import ReportError, decode_lines
from sync.services import seller_account_set_credentials
from sync.voids import run_void

RUN_FIELDS = [
    "tenant", "seller_account", "kind", "report", "status", "source", "actor", "started_at", "finished_at",
    "window_start", "window_end", "rows_read", "rows_new", "rows_matched", "cases_changed",
    "status_changes", "rows_confirmed", "opportunities_changed", "error", "account_guard_override", "voided_at", "voided_by", "void_reason",
]
UPLOAD_PERMISSION = "cases.add_reimbursementrecord"
CREDENTIAL_FIELDS = ["client_id", "client_secret", "refresh_token"]


class ReportUploadForm(forms.Form):
    seller_account = forms.ModelChoiceField(
        queryset=None, help_text="The Amazon account the report was downloaded from."
    )
    report = forms.FileField(
        label="Report file",
        help_text="The FBA Reimbursements report from Seller Central, tab-separated, as downloaded.",
    )
    force_account = forms.BooleanField(
        label="Import even if it looks like another account's report", required=False,
        help_text="Only when the import was refused as another account's and you are sure it is this "
                  "account's report. The run records that you overrode the check.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["seller_account"]
        field.queryset = (
            SellerAccount.objects.filter(marketplace=Marketplace.AMAZON)
            .select_related("tenant").order_by("tenant__name", "external_id")
        )
        field.label_from_instance = account_choice_label


class LedgerUploadForm(ReportUploadForm):
    report = forms.FileField(
        label="Ledger file",
        help_text="The FBA Inventory Ledger, detailed view, from Seller Central: comma- or tab-separated, as "
                  "downloaded.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("force_account")
        self.fields["seller_account"].help_text = "The Amazon account the ledger was downloaded from."


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every poll and import, with its counts or its error. Runs are a log: never added or changed here."""

    change_list_template = "admin/sync/syncrun/change_list.html"
    change_form_template = "admin/sync/syncrun/change_form.html"
    list_display = [
        "started_at", "tenant", "seller_account", "kind", "report", "status", "source", "rows_read", "rows_new",
        "rows_matched", "cases_changed", "status_changes", "short_error",
    ]
    list_filter = ["status", "kind", "report", TENANT_FILTER, "seller_account"]
    list_select_related = ["tenant", "seller_account"]
    search_fields = ["source", "error", "seller_account__external_id"]
    ordering = ["-started_at", "-id"]
    fields = RUN_FIELDS
    readonly_fields = RUN_FIELDS
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, run):
        first_line = run.error.splitlines()[0] if run.error else ""
        return first_line[:120]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": request.user.has_perm(UPLOAD_PERMISSION)}
        return super().changelist_view(request, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_void"] = (
            obj is not None and obj.status == RunStatus.SUCCEEDED and obj.voided_at is None
            and request.user.has_perm(UPLOAD_PERMISSION)
        )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="sync_syncrun_upload"),
            path("upload-ledger/", self.admin_site.admin_view(self.ledger_upload_view),
                 name="sync_syncrun_upload_ledger"),
            path("<path:object_id>/void/", self.admin_site.admin_view(self.void_view), name="sync_syncrun_void"),
            *super().get_urls(),
        ]

    def void_view(self, request, object_id):
        """Staff take back every record an import brought, with a reason, through `run_void`."""
        if not request.user.has_perm(UPLOAD_PERMISSION):
            raise PermissionDenied
        run = self.get_object(request, unquote(object_id))
        if run is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:sync_syncrun_change", args=[run.pk])
        form = VoidForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = run_void(run=run, actor=request.user, reason=form.cleaned_data["reason"])
            except VoidRefused as refusal:
                self.message_user(request, f"Nothing changed. {refusal}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Voided {result.records_voided} records of this import; {result.cases_changed} cases changed, "
                    f"{result.status_changes} status changes." if result.records_voided
                    else "Nothing changed: the records of this import were voided already.",
                    messages.SUCCESS if result.records_voided else messages.WARNING,
                )
                return redirect(change_url)
        return admin_form_page(
            self, request, "admin/sync/syncrun/void.html",
            title=f"Void the import {run.source or run.pk}", original=run, form=form, change_url=change_url,
            submit_label="Void this import",
        )

    def upload_view(self, request):
        """Import a report file through `import_report`: all of it, or, with a list of its problems, none."""
        if not request.user.has_perm(UPLOAD_PERMISSION):
            raise PermissionDenied
        form = ReportUploadForm(request.POST or None, request.FILES or None)
        error = None
        if request.method == "POST" and form.is_valid():
            account, upload = form.cleaned_data["seller_account"], form.cleaned_data["report"]
            override = f"{request.user.get_username()} (admin upload)" if form.cleaned_data["force_account"] else ""
            try:
                run = import_report(
                    seller_account=account, lines=decode_lines(upload), source=upload.name,
                    kind=RunKind.FILE, actor=request.user, account_guard_overridden_by=override,
                )
            except ReportError as failure:
                error = failure
                what = ("it looks like another account's report" if getattr(failure, "wrong", None)
                        else "fix the lines below and upload it again")
                self.message_user(request, f"Nothing was imported from {upload.name}: {what}.", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Imported {upload.name} into {account.label}: {run.rows_read} rows read, {run.rows_new} new, "
                    f"{run.rows_matched} matched to cases; {run.cases_changed} cases changed, "
                    f"{run.status_changes} status changes."
                    + (f" {run.rows_confirmed} confirmed records entered by hand." if run.rows_confirmed else "")
                    + (" The wrong-account check was overridden." if run.account_guard_override else ""),
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:sync_syncrun_change", args=[run.pk]))
        return admin_form_page(
            self, request, "admin/sync/syncrun/upload.html",
            title="Import a reimbursements report", form=form, error=error, submit_label="Import",
            multipart=True,
        )


    def ledger_upload_view(self, request):
        """Import an Inventory Ledger file through `import_ledger`: all of it, or, with its problems, none."""
        if not request.user.has_perm(UPLOAD_PERMISSION):
            raise PermissionDenied
        form = LedgerUploadForm(request.POST or None, request.FILES or None)
        error = None
        if request.method == "POST" and form.is_valid():
            account, upload = form.cleaned_data["seller_account"], form.cleaned_data["report"]
            try:
                run = import_ledger(seller_account=account, lines=decode_lines(upload), source=upload.name,
                                    kind=RunKind.FILE, actor=request.user)
            except ReportError as failure:
                error = failure
                self.message_user(request, f"Nothing was imported from {upload.name}: fix the lines below and "
                                           "upload it again.", messages.ERROR)
            else:
                self.message_user(
                    request, f"Imported {upload.name} into {account.label}: {run.rows_read} lines read, "
                             f"{run.rows_new} new; {run.opportunities_changed} identified amounts added or changed.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:sync_syncrun_change", args=[run.pk]))
        return admin_form_page(
            self, request, "admin/sync/syncrun/upload_ledger.html",
            title="Import an inventory ledger", form=form, error=error, submit_label="Import", multipart=True,
        )


admin.site.unregister(SellerAccount)


@admin.register(SellerAccount)
class SellerAccountSyncAdmin(SellerAccountAdmin):
    """The seller account admin of `accounts`, with what needs the sync: polling now and storing credentials.

    It replaces that registration, so the admin URLs and names stay `accounts_selleraccount_*`.
    """

    change_form_template = "admin/sync/selleraccount/change_form.html"
    actions = ["poll_now"]

    @admin.action(description="Poll now", permissions=["change"])
    def poll_now(self, request, queryset):
        """Queue a poll of each selected account (through the outbox); say which cannot be polled."""
        queued, skipped = 0, []
        for account in queryset.order_by("pk"):
            problem = account.poll_problem
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
            audit_record(actor=request.user, action="credentials stored", target=account.label,
                         detail=f"SP-API credentials of seller account {account.pk} of tenant {account.tenant_id}")
            self.message_user(
                request,
                f"SP-API credentials of {account.label} stored; it is polled through SP-API from now on.",
                messages.SUCCESS,
            )
            return redirect(change_url)
        return admin_form_page(
            self, request, "admin/sync/selleraccount/credentials.html",
            title=f"Connect SP-API credentials of {account.label}", original=account, form=form,
            change_url=change_url, submit_label="Store credentials",
        )
