"""Forms the reimbursement team fills in, in Django admin."""

from django import forms
from django_scopes.forms import SafeModelChoiceField

from accounts.currencies import account_currencies, currency_choices

from .models import Case, CaseStatus, ReimbursementRecord
from .money import is_currency
from .locks import seller_account_lock
from .records import (
    already_recorded_message, manual_record_problems, record_already_recorded, record_case_limit_problems,
    record_currency_problem,
)
from .services import allowed_staff_targets
from .validation import EDIT_REASON, claim_changes, claim_problems, edit_reason_problem, reason_fields


def _clean_currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency(code):
        raise forms.ValidationError(f"{value!r} is not an ISO 4217 currency code (USD, EUR, CAD…).")
    return code


class CaseAdminForm(forms.ModelForm):
    """A case as staff file it. The claim follows `cases.validation`, whose problems show beside their
    field; the services check the same rules again."""

    currency = forms.ChoiceField(
        choices=[("", "---------"), *currency_choices()],
        help_text="A currency the seller account's marketplace pays in.",
    )
    edit_reason = forms.CharField(
        label="Reason for the change", required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Required when the case ID, units claimed, claimed amount or currency change: the seller "
                  "sees it in the case's timeline.",
    )

    class Meta:
        model = Case
        fields = "__all__"
        field_classes = {"seller_account": SafeModelChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        account = self.instance.seller_account if self.instance.seller_account_id else None
        if account is not None:
            self.fields["currency"].choices = [("", "---------"), *((c, c) for c in account_currencies(account))]
            self.fields["currency"].help_text = f"The currencies {account.label} is paid in."

    def clean(self):
        cleaned = super().clean()
        account = cleaned.get("seller_account") or getattr(self.instance, "seller_account", None)
        case_id = cleaned.get("marketplace_case_id")
        if account is not None and case_id:
            clash = Case.objects.filter(seller_account=account, marketplace_case_id=case_id)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("marketplace_case_id", f"{account} already has a case {case_id}.")
        problems = claim_problems(
            seller_account=account, claimed_amount=cleaned.get("claimed_amount"),
            units_claimed=cleaned.get("units_claimed"), currency=cleaned.get("currency"),
            date_filed=cleaned.get("date_filed"), claim_deadline=cleaned.get("claim_deadline"),
        )
        if self.instance.pk:
            fields = reason_fields(self.instance)
            changes = claim_changes(
                before={name: getattr(self.instance, name) for name in fields},
                after={name: cleaned[name] for name in fields if name in cleaned}, fields=fields,
            )
            if missing_reason := edit_reason_problem(changes=changes, reason=cleaned.get(EDIT_REASON, "")):
                problems[EDIT_REASON] = missing_reason
        for name, problem in problems.items():
            if name in self.fields:
                self.add_error(name, problem)
            else:
                self.add_error(None, problem)
        return cleaned


REOPEN_LABEL = "Open (reopen: the status then follows its reimbursements)"


class CaseStatusForm(forms.Form):
    """Record an outcome only a human learns: Not Eligible, Closed, or reopen.

    Nothing is preselected: a history line is permanent and the seller sees it, so the person
    chooses the outcome every time. The choices follow the status the person saw (`from_status`);
    if the case moved on in the meantime, `case_transition` refuses and nothing changes.
    """

    from_status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)
    to_status = forms.ChoiceField(
        label="New status", error_messages={"required": "Choose the new status: none is chosen for you."},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why: the marketplace's answer, in a sentence. Kept in the case history.",
    )
    answered_on = forms.DateField(
        label="Date of the marketplace's answer",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Give the day the marketplace answered: the seller's timeline is dated by it."},
        help_text="The case's history and its closing date show this date, not today's.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = [
            (target, REOPEN_LABEL if target == CaseStatus.OPEN else CaseStatus(target).label)
            for target in allowed_staff_targets(self["from_status"].value() or "")
        ]
        self.fields["to_status"].choices = [("", "— choose —"), *self.targets]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


MANUAL_RECORD_FIELDS = [
    "seller_account", "case_reference", "approval_date", "reimbursement_id", "reason",
    "currency", "amount_per_unit", "amount_total", "quantity_cash", "quantity_inventory",
    "amazon_order_id", "sku", "fnsku", "asin", "product_name", "condition",
    "original_reimbursement_id", "original_reimbursement_type",
]


class ManualRecordForm(forms.ModelForm):
    """A reimbursement reported outside a report file, typed in by staff. It follows the plausibility rules
    of a report's lines (`cases.plausibility`), each problem beside its field."""

    class Meta:
        model = ReimbursementRecord
        fields = MANUAL_RECORD_FIELDS
        field_classes = {"seller_account": SafeModelChoiceField}
        help_texts = {
            "case_reference": "The case ID the marketplace paid for. Leave empty when it paid on its own.",
            "amount_total": "The amount per unit × the cash units (once, for a payment without units). "
                            "Negative only for a reversal or an adjustment.",
        }

    def clean_currency(self):
        return _clean_currency(self.cleaned_data["currency"])

    def clean(self):
        cleaned = super().clean()
        account, currency = cleaned.get("seller_account"), cleaned.get("currency")
        if account:
            for name, problem in manual_record_problems(seller_account=account, fields=cleaned).items():
                if name not in self.errors:
                    self.add_error(name, problem)
        if account and currency and "currency" not in self.errors:
            problem = record_currency_problem(
                seller_account=account, case_reference=cleaned.get("case_reference", ""), currency=currency
            )
            if problem:
                self.add_error("currency", problem)
        if account and not self.errors:
            self._check_against_stored_records(account, cleaned)
        return cleaned

    def _check_against_stored_records(self, account, cleaned) -> None:
        """The same reimbursement recorded already (a double-submitted form, or a report line) is a form
        error naming that record; a record that would take its case beyond what a case can hold is an
        error beside the field. The admin validates and saves the form in one transaction; the
        account's lock, taken here, makes a second submission of the form wait for the first to
        commit, and then see its record and the case's figures."""
        seller_account_lock(seller_account_id=account.pk)
        existing = record_already_recorded(seller_account=account, **self.record_fields())
        if existing is not None:
            raise forms.ValidationError(already_recorded_message(existing), code="already_recorded")
        for name, problem in record_case_limit_problems(seller_account=account, fields=cleaned).items():
            self.add_error(name, problem)

    def record_fields(self) -> dict:
        """What `record_add_manual` takes besides the seller account."""
        return {name: value for name, value in self.cleaned_data.items() if name != "seller_account"}


class VoidForm(forms.Form):
    """Why a record, or an import, is taken back: required, and shown on the seller's timeline."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why it is wrong, in a sentence. The seller sees it on the timeline of each case it changes.",
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason
