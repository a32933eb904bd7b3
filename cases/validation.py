"""The rules a case's claim follows: one place, used by the admin form and by the case services.

The form shows each problem beside its field; the services refuse with `CaseRefused`, so that a
script or a shell session cannot record what the form would refuse.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.currencies import account_currencies
from accounts.models import SellerAccount

from .models import Case
from .money import plain

REASON_FIELDS = ("marketplace_case_id", "units_claimed", "claimed_amount", "currency", "date_filed")
"""A change of these moves money the seller sees (the claim, or which records count towards it), or
the date its history starts from, so it needs a reason, which the case's timeline shows."""

DERIVED_DEADLINE_FIELDS = REASON_FIELDS + ("claim_deadline",)
"""On a case created from an identified amount, the claim deadline is derived from the event's claim window:
overriding it needs a reason too."""


def reason_fields(case: Case) -> tuple[str, ...]:
    return DERIVED_DEADLINE_FIELDS if case.claim_window_closes_on is not None else REASON_FIELDS


EDIT_REASON = "edit_reason"
"""The name of the reason everywhere a refusal names it: the form field and the service's error."""


class CaseRefused(ValidationError):
    """A case, or an edit of one, that breaks a rule; `message_dict` names each field and its problem."""


def claim_problems(
    *, seller_account: SellerAccount | None, claimed_amount: Decimal | None, units_claimed: int | None,
    currency: str | None, date_filed: dt.date | None, claim_deadline: dt.date | None,
    today: dt.date | None = None,
) -> dict[str, str]:
    """What is wrong with a claim, by field name; empty when nothing is. A missing value (None) is
    left to the field's own check."""
    today = today or timezone.localdate()
    problems = {}
    if claimed_amount is not None and claimed_amount <= 0:
        problems["claimed_amount"] = f"The claimed amount must be more than 0, not {plain(claimed_amount)}."
    if units_claimed is not None and units_claimed < 1:
        problems["units_claimed"] = (
            f"Units claimed must be at least 1, not {units_claimed}; leave it empty for a claim on an amount only."
        )
    if seller_account is not None and currency:
        paid_in = account_currencies(seller_account)
        if not paid_in:
            problems["currency"] = (
                f"{seller_account.label} has no region, so the currencies it is paid in are unknown: "
                "set its region first."
            )
        elif currency not in paid_in:
            problems["currency"] = (
                f"{seller_account.label} is paid in {', '.join(paid_in)}, never in {currency}."
            )
    if date_filed is not None and date_filed > today:
        problems["date_filed"] = (
            f"The filing date {date_filed.isoformat()} is in the future (today is {today.isoformat()})."
        )
    if date_filed is not None and claim_deadline is not None and claim_deadline < date_filed:
        problems["claim_deadline"] = (
            f"The claim deadline {claim_deadline.isoformat()} is before the filing date {date_filed.isoformat()}."
        )
    return problems


def case_claim_problems(*, case: Case, seller_account: SellerAccount) -> dict[str, str]:
    return claim_problems(
        seller_account=seller_account, claimed_amount=case.claimed_amount, units_claimed=case.units_claimed,
        currency=case.currency, date_filed=case.date_filed, claim_deadline=case.claim_deadline,
    )


def _shown(name: str, value) -> str:
    if value is None or value == "":
        return "none"
    return plain(value) if isinstance(value, Decimal) else str(value)


CHANGE_LABELS = {
    "marketplace_case_id": "case ID", "units_claimed": "units claimed",
    "claimed_amount": "claimed amount", "currency": "currency", "claim_deadline": "claim deadline",
    "date_filed": "filing date",
}


def claim_changes(*, before: dict, after: dict, fields: tuple[str, ...] = REASON_FIELDS) -> list[str]:
    """`claimed amount 40.00 → 60.00`, one per field of `fields` (`reason_fields` of the case) whose value changed."""
    return [
        f"{CHANGE_LABELS[name]} {_shown(name, before.get(name))} → {_shown(name, after.get(name))}"
        for name in fields
        if name in after and after[name] != before.get(name)
    ]


def answer_date_problem(*, answered_on: dt.date, date_filed: dt.date, today: dt.date | None = None) -> str | None:
    """What is wrong with the date staff give for the marketplace's answer; None when nothing is."""
    today = today or timezone.localdate()
    if answered_on > today:
        return f"the answer date {answered_on.isoformat()} is in the future (today is {today.isoformat()})"
    if answered_on < date_filed:
        return f"the answer date {answered_on.isoformat()} is before the filing date {date_filed.isoformat()}"
    return None


def edit_reason_problem(*, changes: list[str], reason: str) -> str | None:
    if not changes or reason.strip():
        return None
    return (f"Say why ({'; '.join(changes)}): the seller sees this change and its reason in the case's "
            "timeline.")
