"""The reimbursement team's work queue: opportunities by window close and value, claim windows, SKU prices.

Every write goes through `ledger.services`; detection's figures are read-only here.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin_helpers import TENANT_FILTER, ReadOnlyAdminMixin, account_choice_label, admin_form_page
from cases.money import plain

from .forms import DismissForm, OpportunityCaseForm
from .models import ClaimWindow, LedgerLine, Opportunity, OpportunityState, SkuPrice
from .services import (
    OpportunityRefused, case_from_opportunity, claim_window_apply, opportunities_detect, opportunity_claim,
    opportunity_dismiss, opportunity_restore,
)


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return OpportunityState.choices

    def queryset(self, request, queryset):
        if self.value() in OpportunityState.values:
            return queryset.in_state(self.value(), today=timezone.localdate())
        return queryset


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    change_form_template = "admin/ledger/opportunity/change_form.html"
    list_display = [
        "window_closes_on", "state_label", "value", "tenant", "seller_account", "claim_type", "fnsku", "sku",
        "units_open", "value_source", "event_date", "case_link", "work",
    ]
    list_filter = [StateFilter, TENANT_FILTER, "seller_account", "claim_type", "value_source"]
    list_select_related = ["tenant", "seller_account", "case"]
    search_fields = ["fnsku", "sku", "asin", "reference_id", "title"]
    actions = ["dismiss_selected", "restore_selected", "detect_again"]
    show_full_result_count = False
    readonly_fields = [
        "tenant", "seller_account", "claim_type", "fnsku", "reference_id", "sku", "asin", "title",
        "fulfillment_centers", "event_date", "units_lost", "units_open", "value_per_unit", "amount", "currency",
        "value_source", "window_opens_on", "window_closes_on", "case", "dismissed_at", "dismissed_by",
        "dismiss_reason", "detected_at", "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_state(today=timezone.localdate())

    def get_ordering(self, request):
        return [F("window_closes_on").asc(), F("amount").desc(nulls_last=True), "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="state", ordering="state")
    def state_label(self, opportunity):
        return OpportunityState(opportunity.state).label

    @admin.display(description="value", ordering="amount")
    def value(self, opportunity):
        return f"{plain(opportunity.amount)} {opportunity.currency}" if opportunity.amount is not None else "unvalued"

    @admin.display(description="case")
    def case_link(self, opportunity):
        if opportunity.case_id is None:
            return ""
        return format_html('<a href="{}">{}</a>', reverse("admin:cases_case_change", args=[opportunity.case_id]),
                           opportunity.case)

    @admin.display(description="")
    def work(self, opportunity):
        if opportunity.case_id is not None or opportunity.dismissed_at is not None:
            return ""
        return format_html(
            '<a href="{}">Create case</a> · <a href="{}">Dismiss</a>',
            reverse("admin:ledger_opportunity_create_case", args=[opportunity.pk]),
            reverse("admin:ledger_opportunity_dismiss", args=[opportunity.pk]),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/create-case/", view(self.create_case_view), name="ledger_opportunity_create_case"),
            path("<path:object_id>/dismiss/", view(self.dismiss_view), name="ledger_opportunity_dismiss"),
            *super().get_urls(),
        ]

    def _opportunity(self, request, object_id):
        opportunity = self.get_object(request, unquote(object_id))
        if opportunity is not None and not self.has_change_permission(request, opportunity):
            raise PermissionDenied
        return opportunity

    def create_case_view(self, request, object_id):
        """The case form pre-filled from the opportunity; saving records the case and links both."""
        opportunity = self._opportunity(request, object_id)
        if opportunity is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:ledger_opportunity_change", args=[opportunity.pk])
        draft = case_from_opportunity(opportunity)
        form = OpportunityCaseForm(request.POST or None, instance=draft)
        if request.method == "POST" and form.is_valid():
            try:
                case = opportunity_claim(opportunity=opportunity, case=form.save(commit=False), actor=request.user)
            except OpportunityRefused as refusal:
                self.message_user(request, f"Nothing changed. {refusal}", messages.ERROR)
                return redirect(change_url)
            self.message_user(request, f"Case {case} recorded for {opportunity}.", messages.SUCCESS)
            return redirect(reverse("admin:cases_case_change", args=[case.pk]))
        return admin_form_page(
            self, request, "admin/ledger/opportunity/create_case.html", title=f"Create a case for {opportunity}",
            form=form, original=opportunity, change_url=change_url, submit_label="Record the case",
        )

    def dismiss_view(self, request, object_id):
        opportunity = self._opportunity(request, object_id)
        if opportunity is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:ledger_opportunity_change", args=[opportunity.pk])
        form = DismissForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                opportunity_dismiss(opportunity=opportunity, actor=request.user, reason=form.cleaned_data["reason"])
            except OpportunityRefused as refusal:
                self.message_user(request, f"Nothing changed. {refusal}", messages.ERROR)
            else:
                self.message_user(request, f"{opportunity} dismissed.", messages.SUCCESS)
            return redirect(reverse("admin:ledger_opportunity_changelist"))
        return admin_form_page(
            self, request, "admin/ledger/opportunity/dismiss.html", title=f"Dismiss {opportunity}",
            form=form, original=opportunity, change_url=change_url, submit_label="Dismiss",
        )

    @admin.action(description="Dismiss selected opportunities (asks for a reason)", permissions=["change"])
    def dismiss_selected(self, request, queryset):
        form = DismissForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done, refused = 0, []
            for opportunity in queryset:
                try:
                    opportunity_dismiss(opportunity=opportunity, actor=request.user,
                                        reason=form.cleaned_data["reason"])
                    done += 1
                except OpportunityRefused as refusal:
                    refused.append(str(refusal))
            self.message_user(request, f"{done} dismissed.", messages.SUCCESS)
            for refusal in refused:
                self.message_user(request, refusal, messages.WARNING)
            return None
        return TemplateResponse(request, "admin/ledger/opportunity/dismiss_selected.html", {
            **self.admin_site.each_context(request), "title": "Dismiss opportunities", "opts": self.opts,
            "form": form, "opportunities": queryset, "action": "dismiss_selected",
        })

    @admin.action(description="Restore selected dismissed opportunities", permissions=["change"])
    def restore_selected(self, request, queryset):
        count = 0
        for opportunity in queryset.filter(dismissed_at__isnull=False):
            opportunity_restore(opportunity=opportunity, actor=request.user)
            count += 1
        self.message_user(request, f"{count} restored.", messages.SUCCESS)

    @admin.action(description="Detect the selected opportunities' FNSKUs again", permissions=["change"])
    def detect_again(self, request, queryset):
        changed = 0
        by_account: dict = {}
        for opportunity in queryset.select_related("seller_account"):
            by_account.setdefault(opportunity.seller_account, set()).add(opportunity.fnsku)
        for account, fnskus in by_account.items():
            changed += opportunities_detect(seller_account=account, fnskus=sorted(fnskus))
        self.message_user(request, f"{changed} opportunities changed.", messages.SUCCESS)


@admin.register(ClaimWindow)
class ClaimWindowAdmin(admin.ModelAdmin):
    list_display = ["marketplace", "claim_type", "opens_after_days", "closes_after_days", "note"]
    list_editable = ["opens_after_days", "closes_after_days"]
    list_filter = ["marketplace"]

    def save_model(self, request, obj, form, change):
        """Save the window and carry it to the identified amounts already detected under the old one (and,
        when the row was moved to another marketplace or claim type, the old pair's default to theirs)."""
        super().save_model(request, obj, form, change)
        pairs = {(obj.marketplace, obj.claim_type)}
        if change:
            if not {"marketplace", "claim_type", "opens_after_days", "closes_after_days"} & set(form.changed_data):
                return
            pairs.add((form.initial.get("marketplace", obj.marketplace), form.initial.get("claim_type", obj.claim_type)))
        self._apply(request, pairs)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._apply(request, {(obj.marketplace, obj.claim_type)})

    def delete_queryset(self, request, queryset):
        pairs = set(queryset.values_list("marketplace", "claim_type"))
        super().delete_queryset(request, queryset)
        self._apply(request, pairs)

    def _apply(self, request, pairs: set[tuple[str, str]]) -> None:
        changed = sum(claim_window_apply(marketplace=marketplace, claim_type=claim_type)
                      for marketplace, claim_type in sorted(pairs))
        self.message_user(request, f"{changed} identified amounts changed to follow the claim window.", messages.INFO)


@admin.register(SkuPrice)
class SkuPriceAdmin(admin.ModelAdmin):
    list_display = ["sku", "amount", "currency", "seller_account", "tenant", "updated_at"]
    list_filter = [TENANT_FILTER, "seller_account"]
    search_fields = ["sku"]
    fields = ["seller_account", "sku", "amount", "currency"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "seller_account" and field is not None:
            field.queryset = field.queryset.select_related("tenant").order_by("tenant__name", "external_id")
            field.label_from_instance = account_choice_label
        return field

    def save_model(self, request, obj, form, change):
        """Value the account's opportunities of that SKU again with the new price."""
        obj.tenant_id = obj.seller_account.tenant_id
        super().save_model(request, obj, form, change)
        self._detect(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._detect(obj)

    def delete_queryset(self, request, queryset):
        prices = list(queryset.select_related("seller_account"))
        super().delete_queryset(request, queryset)
        for price in prices:
            self._detect(price)

    @staticmethod
    def _detect(price: SkuPrice) -> None:
        fnskus = sorted(set(Opportunity.objects.filter(
            tenant_id=price.tenant_id, seller_account=price.seller_account, sku=price.sku,
        ).values_list("fnsku", flat=True)))
        if fnskus:
            opportunities_detect(seller_account=price.seller_account, fnskus=fnskus)


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["date", "fnsku", "msku", "event_type", "reason", "quantity", "reference_id",
                    "fulfillment_center", "unreconciled_quantity", "seller_account"]
    list_filter = ["event_type", "reason", TENANT_FILTER, "seller_account"]
    list_select_related = ["seller_account"]
    search_fields = ["fnsku", "msku", "reference_id"]
    show_full_result_count = False
    ordering = ["-date", "-id"]
