"""Sync runs, read-only, and the staff upload of a report file downloaded from Seller Central."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.admin_helpers import ReadOnlyAdminMixin, account_choice_label
from accounts.models import Marketplace, SellerAccount
from sync.ingest import import_report
from sync.models import RunKind, SyncRun
from sync.report import ReportError, decode_lines

RUN_FIELDS = [
    "tenant", "seller_account", "kind", "status", "source", "actor", "started_at", "finished_at",
    "window_start", "window_end", "rows_read", "rows_new", "rows_matched", "cases_changed",
    "status_changes", "error",
]
UPLOAD_PERMISSION = "cases.add_reimbursementrecord"


class ReportUploadForm(forms.Form):
    seller_account = forms.ModelChoiceField(
        queryset=None, help_text="The Amazon account the report was downloaded from."
    )
    report = forms.FileField(
        label="Report file",
        help_text="The FBA Reimbursements report from Seller Central, tab-separated, as downloaded.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["seller_account"]
        field.queryset = (
            SellerAccount.objects.filter(marketplace=Marketplace.AMAZON)
            .select_related("tenant").order_by("tenant__name", "external_id")
        )
        field.label_from_instance = account_choice_label


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every poll and import, with its counts or its error. Runs are a log: never added or changed here."""

    change_list_template = "admin/sync/syncrun/change_list.html"
    list_display = [
        "started_at", "tenant", "seller_account", "kind", "status", "source", "rows_read", "rows_new",
        "rows_matched", "cases_changed", "status_changes", "short_error",
    ]
    list_filter = ["status", "kind", "tenant", "seller_account"]
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

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="sync_syncrun_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        """Import a report file through `import_report`: all of it, or, with a list of its problems, none."""
        if not request.user.has_perm(UPLOAD_PERMISSION):
            raise PermissionDenied
        form = ReportUploadForm(request.POST or None, request.FILES or None)
        error = None
        if request.method == "POST" and form.is_valid():
            account, upload = form.cleaned_data["seller_account"], form.cleaned_data["report"]
            try:
                run = import_report(
                    seller_account=account, lines=decode_lines(upload), source=upload.name,
                    kind=RunKind.FILE, actor=request.user,
                )
            except ReportError as failure:
                error = failure
                self.message_user(
                    request, f"Nothing was imported from {upload.name}: fix the lines below and upload it again.",
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    f"Imported {upload.name} into {account.label}: {run.rows_read} rows read, {run.rows_new} new, "
                    f"{run.rows_matched} matched to cases; {run.cases_changed} cases changed, "
                    f"{run.status_changes} status changes.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:sync_syncrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a reimbursements report",
            "opts": self.opts,
            "form": form,
            "error": error,
            "submit_label": "Import",
            "multipart": True,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/sync/syncrun/upload.html", context)
