"""Forms the reimbursement team fills in, in Django admin."""

from django import forms
from django_scopes.forms import SafeModelChoiceField

from .models import Case, CaseStatus, ReimbursementRecord
from .money import is_currency
from .records import record_currency_problem
from .services import allowed_staff_targets


def _clean_currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency(code):
        raise forms.ValidationError(f"{value!r} is not an ISO 4217 currency code (USD, EUR, CAD…).")
    return code


class CaseAdminForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = "__all__"
        field_classes = {"seller_account": SafeModelChoiceField}

    def clean_currency(self):
        return _clean_currency(self.cleaned_data["currency"])

    def clean_claimed_amount(self):
        amount = self.cleaned_data["claimed_amount"]
        if amount is not None and amount < 0:
            raise forms.ValidationError("The claimed amount cannot be negative.")
        return amount

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
    """A reimbursement reported outside a report file, typed in by staff."""

    class Meta:
        model = ReimbursementRecord
        fields = MANUAL_RECORD_FIELDS
        field_classes = {"seller_account": SafeModelChoiceField}
        help_texts = {
            "case_reference": "The case ID the marketplace paid for. Leave empty when it paid on its own.",
            "amount_total": "Negative for a reversal.",
        }

    def clean_currency(self):
        return _clean_currency(self.cleaned_data["currency"])

    def clean(self):
        cleaned = super().clean()
        account, currency = cleaned.get("seller_account"), cleaned.get("currency")
        if account and currency:
            problem = record_currency_problem(
                seller_account=account, case_reference=cleaned.get("case_reference", ""), currency=currency
            )
            if problem:
                self.add_error("currency", problem)
        return cleaned

    def record_fields(self) -> dict:
        """What `record_add_manual` takes besides the seller account."""
        return {name: value for name, value in self.cleaned_data.items() if name != "seller_account"}
