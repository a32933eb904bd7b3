"""Reimbursement records that reach the tracker by hand, not through a report."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import SellerAccount

from .models import Case, EventSource, ReimbursementRecord
from .money import is_currency
from .services import records_match, seller_account_lock


def record_currency_problem(*, seller_account: SellerAccount, case_reference: str, currency: str) -> str | None:
    """Why a reimbursement in `currency` cannot count towards the case it names, or None."""
    claim = (
        Case.objects.filter(
            tenant_id=seller_account.tenant_id, seller_account=seller_account, marketplace_case_id=case_reference
        )
        .exclude(currency=currency)
        .first()
        if case_reference else None
    )
    if claim is None:
        return None
    return (f"Case {claim.marketplace_case_id} claims in {claim.currency}; "
            f"a reimbursement in {currency} cannot count towards it.")


@transaction.atomic
def record_add_manual(*, seller_account: SellerAccount, actor, **fields) -> ReimbursementRecord:
    """Staff enter a reimbursement the marketplace reported elsewhere (Walmart has no report).

    The record is matched to the case with the same case ID in the same seller account, and
    that case's figures and status follow, with a history entry naming the person. All of it in
    one transaction, under the account's lock, so the case cannot change currency in between.
    """
    seller_account_lock(seller_account_id=seller_account.pk)
    currency = fields.get("currency", "")
    if not is_currency(currency):
        raise ValidationError({"currency": f"{currency!r} is not an ISO 4217 currency code."})
    username = actor.get_username()
    problem = record_currency_problem(
        seller_account=seller_account, case_reference=fields.get("case_reference", ""), currency=currency
    )
    if problem:
        raise ValidationError({"currency": problem})
    record = ReimbursementRecord.objects.create(
        **fields,
        tenant_id=seller_account.tenant_id,
        seller_account=seller_account,
        fingerprint=uuid.uuid4(),
        occurrence=1,
        source=f"Entered by {username}",
    )
    records_match(
        seller_account_id=seller_account.pk,
        record_ids=[record.pk],
        source=EventSource.STAFF,
        actor=actor,
        reason=f"Reimbursement {record.reimbursement_id} entered by the reimbursement team",
    )
    record.refresh_from_db()
    return record
