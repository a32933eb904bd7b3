"""The reimbursement team's workplace: cases, their records and history.

Every write goes through `cases.services` (or `cases.records`), so that history, figures and
rollups stay right. Nothing here can be deleted.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse

from accounts.admin_helpers import TENANT_FILTER, ReadOnlyAdminMixin, account_choice_label, admin_form_page

from .forms import MANUAL_RECORD_FIELDS, CaseAdminForm, CaseStatusForm, ManualRecordForm, VoidForm
from .models import Case, CaseEvent, RecordOrigin, ReimbursementRecord
from .money import plain
from .records import record_add_manual
from .services import TransitionNotAllowed, case_create, case_transition, case_update
from .validation import EDIT_REASON, CaseRefused
from .voids import VoidRefused, record_void

VOID_PERMISSION = "cases.add_reimbursementrecord"
"""Who enters records may take one back (by voiding it: never by editing or deleting it)."""

RECOVERED = "Recovered (from the reimbursement records)"
RECORD_KEEPING = "Record keeping"
REASON = "Reason for the change"
FIELDSETS_OF_EXISTING_CASES = {RECOVERED, RECORD_KEEPING, REASON}
DERIVED_FIELDS = [
    "status", "recovered_amount", "units_reimbursed_cash", "units_reimbursed_inventory",
    "last_reimbursed_on", "closed_on",
]


def _money(amount, currency) -> str:
    return f"{plain(amount)} {currency}"


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    verbose_name_plural = "History"
    fields = ["happened_on", "created_at", "from_status", "to_status", "source", "actor", "reason", "record"]
    readonly_fields = fields
    ordering = ["id"]  # write order: events written by SQL carry the transaction's start time

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "record")


class RecordInline(ReadOnlyInline):
    model = ReimbursementRecord
    verbose_name_plural = "Reimbursement records"
    fields = [
        "approval_date", "reimbursement_id", "reason", "amount_total", "currency",
        "quantity_cash", "quantity_inventory", "original_reimbursement_id", "source", "origin", "voided_at",
    ]
    readonly_fields = fields
    ordering = ["approval_date", "id"]


class SellerAccountChoiceMixin:
    """List every tenant's seller accounts, named with their tenant: staff work across tenants.

    The forms declare the field with django-scopes' SafeModelChoiceField (an empty queryset at
    import time); the real choices are read here, per request, where admin runs unscoped.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "seller_account" and field is not None:
            accounts = db_field.remote_field.model._default_manager
            field.queryset = accounts.select_related("tenant").order_by("tenant__name", "external_id")
            field.label_from_instance = account_choice_label
        return field


@admin.register(Case)
class CaseAdmin(SellerAccountChoiceMixin, admin.ModelAdmin):
    form = CaseAdminForm
    change_form_template = "admin/cases/case/change_form.html"
    list_display = [
        "marketplace_case_id", "tenant", "seller_account", "reimbursement_type", "status",
        "units_claimed", "claimed", "recovered", "date_filed", "updated_at",
    ]
    list_filter = [
        TENANT_FILTER, "status", "reimbursement_type", "seller_account__marketplace", "seller_account", "currency",
    ]
    list_select_related = ["tenant", "seller_account"]
    search_fields = [
        "marketplace_case_id", "sku", "fnsku", "asin", "order_id", "shipment_id", "removal_order_id",
        "product_title",
    ]
    ordering = ["-date_filed", "-id"]
    show_full_result_count = False
    inlines = [RecordInline, CaseEventInline]
    fieldsets = [
        (None, {"fields": ["seller_account", "marketplace_case_id", "reimbursement_type", "status"]}),
        ("Product", {"fields": ["asin", "sku", "fnsku", "product_title"]}),
        ("References", {"fields": ["order_id", "shipment_id", "removal_order_id"]}),
        ("Claim", {"fields": [
            "units_claimed", "claimed_amount", "currency", "date_filed", "claim_deadline", "closed_on",
        ]}),
        (REASON, {"fields": [EDIT_REASON]}),
        (RECOVERED, {"fields": [
            "recovered_amount", "units_reimbursed_cash", "units_reimbursed_inventory", "last_reimbursed_on",
        ]}),
        ("Notes", {"fields": ["seller_note", "internal_note"]}),
        (RECORD_KEEPING, {"fields": ["tenant", "created_at", "updated_at"]}),
    ]

    @admin.display(description="claimed", ordering="claimed_amount")
    def claimed(self, case):
        return _money(case.claimed_amount, case.currency)

    @admin.display(description="recovered", ordering="recovered_amount")
    def recovered(self, case):
        return _money(case.recovered_amount, case.currency)

    def get_fieldsets(self, request, obj=None):
        """A new case has nothing recovered and no record keeping yet."""
        if obj is None:
            return [section for section in self.fieldsets if section[0] not in FIELDSETS_OF_EXISTING_CASES]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = [*DERIVED_FIELDS, "tenant", "created_at", "updated_at"]
        if obj is not None:
            fields.append("seller_account")
        return fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            case_create(case=obj, actor=request.user)
            return
        case_update(case=obj, actor=request.user, reason=form.cleaned_data.get(EDIT_REASON, ""))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The form checks what the services check; should the case change in between (another
        person's edit), the service's refusal comes back as a message and nothing is saved."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CaseRefused as refusal:
            problems = " ".join(f"{name}: {' '.join(errors)}" for name, errors in refusal.message_dict.items())
            self.message_user(request, f"Nothing changed. {problems}", messages.ERROR)
            return redirect(request.get_full_path())

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_status"
        return [
            path("<path:object_id>/status/", self.admin_site.admin_view(self.status_view), name=name),
            *super().get_urls(),
        ]

    def status_view(self, request, object_id):
        """Staff record Not Eligible or Closed with a reason, or reopen, through `case_transition`."""
        case = self.get_object(request, unquote(object_id))
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        form = CaseStatusForm(request.POST or None, initial={"from_status": case.status})
        change_url = reverse("admin:cases_case_change", args=[case.pk])
        if request.method == "POST" and form.is_valid():
            try:
                updated = case_transition(
                    case=case, to_status=form.cleaned_data["to_status"], actor=request.user,
                    reason=form.cleaned_data["reason"], expected_status=form.cleaned_data["from_status"],
                    answered_on=form.cleaned_data["answered_on"],
                )
            except TransitionNotAllowed as refusal:
                self.message_user(request, f"Nothing changed. {refusal}", messages.ERROR)
                case.refresh_from_db()
                form = CaseStatusForm(initial={"from_status": case.status})
            else:
                self.message_user(
                    request, f"Case {updated} is now {updated.get_status_display()}.", messages.SUCCESS
                )
                return redirect(change_url)
        return admin_form_page(
            self, request, "admin/cases/case/change_status.html",
            title=f"Change the status of case {case}", original=case, form=form, change_url=change_url,
            submit_label="Change status",
        )


class MatchFilter(admin.SimpleListFilter):
    title = "match"
    parameter_name = "match"

    def lookups(self, request, model_admin):
        return [
            ("matched", "Matched to a case"),
            ("unmatched", "Unmatched (no such case yet)"),
            ("automatic", "Automatic (no case ID)"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "matched":
            return queryset.filter(case__isnull=False)
        if self.value() == "unmatched":
            return queryset.filter(case__isnull=True).exclude(case_reference="")
        if self.value() == "automatic":
            return queryset.filter(case_reference="")
        return queryset


RECORD_DETAIL_FIELDS = [
    "tenant", "seller_account", "case", *MANUAL_RECORD_FIELDS[1:],
    "origin", "fingerprint", "occurrence", "source", "source_line", "sync_run_id", "confirmed_at",
    "voids", "voided_at", "created_at",
]


@admin.register(ReimbursementRecord)
class ReimbursementRecordAdmin(SellerAccountChoiceMixin, admin.ModelAdmin):
    """Records are facts: listed and read, never edited; staff may add one by hand, and void one."""

    change_form_template = "admin/cases/reimbursementrecord/change_form.html"
    list_display = [
        "approval_date", "reimbursement_id", "tenant", "seller_account", "case_reference", "case",
        "reason", "amount", "quantity_cash", "quantity_inventory", "source", "origin", "voided_at",
    ]
    list_filter = [
        MatchFilter, "origin", TENANT_FILTER, "seller_account__marketplace", "seller_account", "currency", "reason",
    ]
    list_select_related = ["tenant", "seller_account", "case"]
    search_fields = [
        "reimbursement_id", "case_reference", "amazon_order_id", "sku", "fnsku", "asin",
        "original_reimbursement_id",
    ]
    ordering = ["-approval_date", "-id"]
    show_full_result_count = False

    @admin.display(description="amount", ordering="amount_total")
    def amount(self, record):
        return _money(record.amount_total, record.currency)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ManualRecordForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return MANUAL_RECORD_FIELDS if obj is None else RECORD_DETAIL_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else RECORD_DETAIL_FIELDS

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        record = record_add_manual(
            seller_account=form.cleaned_data["seller_account"], actor=request.user, **form.record_fields()
        )
        obj.pk = record.pk
        if record.case is not None:
            case = record.case
            note = f"Matched to case {case}, now {case.get_status_display()}."
        elif record.case_reference:
            note = (f"No case {record.case_reference} in {record.seller_account} yet: "
                    "it will match when the case is recorded.")
        else:
            note = "No case ID: counted as an automatic reimbursement."
        self.message_user(request, note, messages.INFO)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_void"] = (
            obj is not None and obj.origin != RecordOrigin.VOID and obj.voided_at is None
            and request.user.has_perm(VOID_PERMISSION)
        )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_void"
        return [
            path("<path:object_id>/void/", self.admin_site.admin_view(self.void_view), name=name),
            *super().get_urls(),
        ]

    def void_view(self, request, object_id):
        """Staff take a record back with a reason, through `record_void`: a compensating record, never
        an edit."""
        if not request.user.has_perm(VOID_PERMISSION):
            raise PermissionDenied
        record = self.get_object(request, unquote(object_id))
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:cases_reimbursementrecord_change", args=[record.pk])
        form = VoidForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = record_void(record=record, actor=request.user, reason=form.cleaned_data["reason"])
            except VoidRefused as refusal:
                self.message_user(request, f"Nothing changed. {refusal}", messages.ERROR)
            else:
                if result.records_voided:
                    self.log_change(request, record, f"Voided: {form.cleaned_data['reason']}")
                    self.message_user(request, f"Voided {record.describe()}.", messages.SUCCESS)
                else:
                    self.message_user(request, f"Nothing changed: {record.describe()} was voided already.",
                                      messages.WARNING)
                return redirect(change_url)
        return admin_form_page(
            self, request, "admin/cases/reimbursementrecord/void.html",
            title=f"Void reimbursement record {record.pk}", original=record, form=form,
            change_url=change_url, submit_label="Void record",
        )


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Case history across tenants: read-only, never deleted."""

    list_display = ["happened_on", "created_at", "case", "tenant", "from_status", "to_status", "source", "actor",
                    "reason"]
    list_filter = [TENANT_FILTER, "to_status", "source"]
    list_select_related = ["case", "tenant", "actor"]
    search_fields = ["case__marketplace_case_id", "reason", "actor__username"]
    ordering = ["-id"]
    show_full_result_count = False

