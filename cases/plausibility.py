"""What a reimbursement can look like: one set of rules for a report's lines and for records staff type in.

Pure functions on values. The report parser (`sync.report`) runs them on every line and names the line and
the column of each problem; `record_add_manual` and the manual record form run them on a record and name
the field. Problems are keyed by the record's field names.

The rules:
- the approval date is not before 2000-01-01 and not more than a day ahead of now;
- the currency is one a marketplace pays reimbursements in (`PAID_CURRENCIES`): not a test code (XTS), nor a
  currency that no longer circulates (DEM); a record typed in by hand must also be in a currency its own
  account is paid in (for a report, the wrong-account guard checks that, `cases.account_guard`);
- only a reversal (reason `Reimbursement_Reversal`, or an original reimbursement named) and an adjustment
  (a reason ending in `Adjustment`) go negative, and a line's amount and units never go opposite ways;
- where the amount per unit is given, the total is the amount per unit times the cash units, to the cent
  (an inventory-only line pays 0); a line without any units pays its amount per unit once (Walmart's and
  fee claims are amounts, not units).
"""

import datetime as dt
from decimal import Decimal

from accounts.models import MARKETPLACE_CURRENCIES

from .money import is_currency

EARLIEST_APPROVAL = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE_TOLERANCE = dt.timedelta(days=1)
"""How far ahead of now an approval date may be: Amazon's servers and ours disagree on the day near midnight."""
REVERSAL_REASON = "Reimbursement_Reversal"
PAID_CURRENCIES = frozenset(code for codes in MARKETPLACE_CURRENCIES.values() for code in codes)
"""Every currency some marketplace pays reimbursements in."""

FIELD_LABELS = {
    "approval_date": "approval date", "currency": "currency", "amount_per_unit": "amount per unit",
    "amount_total": "amount total", "quantity_cash": "cash units", "quantity_inventory": "inventory units",
}
NEGATIVE_RULE = ("only a reversal (reason Reimbursement_Reversal, or an original reimbursement named) or an "
                 "adjustment goes negative")


def latest_approval(now: dt.datetime) -> dt.datetime:
    """The latest approval date a reimbursement can have at `now`."""
    return now + FUTURE_TOLERANCE


def approval_date_problem(value: dt.datetime, *, latest: dt.datetime) -> str | None:
    """Why `value` (aware) cannot be an approval date, or None; `latest` is `latest_approval(now)`."""
    if value < EARLIEST_APPROVAL:
        earliest = EARLIEST_APPROVAL.date().isoformat()
        return f"{value.date().isoformat()} is before {earliest}: not a reimbursement's date"
    if value > latest:
        return f"{value.isoformat()} is in the future"
    return None


def currency_problem(code: str) -> str | None:
    """Why `code` (upper case) is not a currency reimbursements are paid in, or None."""
    if code in PAID_CURRENCIES:
        return None
    if not code:
        return "is empty"
    if not is_currency(code):
        return f"{code[:40]!r} is not an ISO 4217 currency code"
    return (f"{code} is not a currency any marketplace pays reimbursements in "
            f"({', '.join(sorted(PAID_CURRENCIES))})")


def may_go_negative(*, reason: str, original_reimbursement_id: str, original_reimbursement_type: str) -> bool:
    """A reversal or an adjustment: the only lines whose amount and units may be negative."""
    return (
        reason == REVERSAL_REASON or bool(original_reimbursement_id) or bool(original_reimbursement_type)
        or reason.lower().endswith("adjustment")
    )


def amount_problems(
    *, reason: str, original_reimbursement_id: str, original_reimbursement_type: str,
    amount_per_unit: Decimal | None, amount_total: Decimal, quantity_cash: int, quantity_inventory: int,
) -> dict[str, str]:
    """The problems of a line's amounts and units, by field, at most one each; `amount_per_unit` None: not given."""
    problems: dict[str, str] = {}
    if not may_go_negative(reason=reason, original_reimbursement_id=original_reimbursement_id,
                           original_reimbursement_type=original_reimbursement_type):
        for field, value in (("amount_per_unit", amount_per_unit), ("amount_total", amount_total),
                             ("quantity_cash", quantity_cash), ("quantity_inventory", quantity_inventory)):
            if value is not None and value < 0:
                problems[field] = f"{value} is negative: {NEGATIVE_RULE}"
    if (quantity_cash > 0 > quantity_inventory or quantity_cash < 0 < quantity_inventory) \
            and "quantity_inventory" not in problems:
        problems["quantity_inventory"] = f"{quantity_inventory} goes the other way than cash units {quantity_cash}"
    if "amount_total" in problems:
        return problems
    if amount_per_unit is None:
        if amount_total > 0 > quantity_cash or amount_total < 0 < quantity_cash:
            problems["amount_total"] = f"{amount_total} goes the other way than cash units {quantity_cash}"
    elif quantity_cash or quantity_inventory:
        expected = abs(amount_per_unit) * quantity_cash
        if amount_total != expected:
            problems["amount_total"] = (
                f"{amount_total} is not amount per unit {abs(amount_per_unit)} × {quantity_cash} cash units "
                f"= {expected}"
            )
    elif abs(amount_total) != abs(amount_per_unit):
        problems["amount_total"] = (
            f"{amount_total} is not the amount per unit {amount_per_unit}: a line without units pays its "
            "amount per unit once"
        )
    return problems


def record_problems(
    *, paid_in: tuple[str, ...], account_label: str, now: dt.datetime, approval_date: dt.datetime | None,
    currency: str | None, reason: str, amount_per_unit: Decimal | None, amount_total: Decimal | None,
    quantity_cash: int | None, quantity_inventory: int | None, original_reimbursement_id: str = "",
    original_reimbursement_type: str = "",
) -> dict[str, str]:
    """The problems of a record typed in by hand for an account paid in `paid_in`, by field. A missing
    value (None) is left to the field's own check."""
    problems: dict[str, str] = {}
    if approval_date is not None:
        if problem := approval_date_problem(approval_date, latest=latest_approval(now)):
            problems["approval_date"] = f"The approval date {problem}."
    if currency:
        if problem := currency_problem(currency):
            problems["currency"] = f"{problem}."
        elif currency not in paid_in:
            problems["currency"] = f"{account_label} is paid in {', '.join(paid_in)}, never in {currency}."
    if amount_total is not None:
        found = amount_problems(
            reason=reason or "", original_reimbursement_id=original_reimbursement_id or "",
            original_reimbursement_type=original_reimbursement_type or "", amount_per_unit=amount_per_unit,
            amount_total=amount_total, quantity_cash=quantity_cash or 0, quantity_inventory=quantity_inventory or 0,
        )
        for field, problem in found.items():
            problems.setdefault(field, f"The {FIELD_LABELS[field]} {problem}.")
    return problems
