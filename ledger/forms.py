"""Forms staff fill in about opportunities, in admin."""

from django import forms

from cases.forms import CaseAdminForm
from cases.models import Case

CASE_FIELDS = [
    "marketplace_case_id", "reimbursement_type", "asin", "sku", "fnsku", "product_title", "units_claimed",
    "claimed_amount", "currency", "date_filed", "claim_deadline", "seller_note", "internal_note",
]


class OpportunityCaseForm(CaseAdminForm):
    """The case staff filed for an opportunity, pre-filled from it; the same rules as any case."""

    class Meta(CaseAdminForm.Meta):
        model = Case
        fields = CASE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("edit_reason")
        self.fields["claim_deadline"].help_text = (
            "The close of the event's claim window; set another only with a reason in the internal note."
        )


class DismissForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=1000,
        help_text="Why no claim will be filed (kept with the opportunity; the seller sees it as dismissed).",
    )
