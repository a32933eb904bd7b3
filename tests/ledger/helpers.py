"""Ledger lines for the tests, written the way Amazon writes them and imported through the real ingestion."""

import datetime as dt

from django.utils import timezone

from sync.ledger_ingest import import_ledger
from sync.ledger_writer import ledger_lines
from sync.models import RunKind


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def row(*, fnsku="X000000001", reason="M", quantity=-1, ref="R1", on=None, event_type="Adjustments",
        center="PHX7", sku="SKU-1", unreconciled=None, **extra):
    values = {
        "date": on or days_ago(40), "fnsku": fnsku, "asin": "B000000001", "msku": sku, "title": "Blue widget",
        "event_type": event_type, "reference_id": ref, "quantity": quantity, "fulfillment_center": center,
        "disposition": "SELLABLE", "reason": reason, "country": "US",
        "unreconciled_quantity": unreconciled, "reconciled_quantity": None if unreconciled is None else 0,
    }
    values.update(extra)
    return values


def import_rows(account, rows, source="ledger.tsv"):
    return import_ledger(seller_account=account, lines=ledger_lines(rows), source=source, kind=RunKind.FILE)


def add_reimbursement(account, per_unit, *, units=1, fnsku="X000000001", on=None, case_reference="",
                      reason="Lost_Warehouse", currency="USD"):
    """A reimbursement report line of the FNSKU (automatic unless a case ID is given), as the sync stores it."""
    import uuid
    from decimal import Decimal

    from cases.models import ReimbursementRecord

    day = on or days_ago(5)
    return ReimbursementRecord.objects.create(
        tenant_id=account.tenant_id, seller_account=account, case_reference=case_reference,
        approval_date=dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC),
        reimbursement_id=f"R{uuid.uuid4().hex[:8]}", reason=reason, currency=currency, fnsku=fnsku,
        amount_per_unit=Decimal(per_unit), amount_total=Decimal(per_unit) * units, quantity_cash=units,
        fingerprint=uuid.uuid4(), source="test",
    )


def claim(opportunity, case_id, actor, amount=None):
    """The case staff file for the opportunity, as the admin's "Create case" fills it in."""
    from decimal import Decimal

    from ledger.services import case_from_opportunity, opportunity_claim

    draft = case_from_opportunity(opportunity)
    draft.marketplace_case_id = case_id
    if amount is not None:
        draft.claimed_amount = Decimal(amount)
    return opportunity_claim(opportunity=opportunity, case=draft, actor=actor)
