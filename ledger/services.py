"""Every write of the ledger app: stored lines, detected opportunities, and staff decisions on them."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import SellerAccount
from accounts.rls import across_tenants
from cases.locks import seller_account_lock
from cases.models import Case
from cases.money import quantize
from cases.services import case_create

from . import sql
from .detection import (
    ADJUSTMENTS, DETECTED_CODES, REIMBURSED_REASONS, Line, Reimbursed, events_of, lines_by_fnsku, unit_value,
)
from .models import ClaimWindow, Opportunity
from .windows import DEFAULT_WINDOWS, default_window

DETECT_CHUNK = 5_000
"""FNSKUs read and written per round of detection."""


class OpportunityRefused(Exception):
    """A staff action on an opportunity that its state does not allow; nothing changed."""


@dataclass(frozen=True)
class LinesStored:
    rows_new: int
    rows_reconciled: int
    fnskus: list[str]
    """FNSKUs with a new line or a changed reconciliation count: what detection must look at again."""


def ledger_lines_insert_staged(
    *, seller_account: SellerAccount, staging_table: str, source: str, run_id: int | None = None
) -> LinesStored:
    """Update Amazon's reconciliation counts on the staged lines stored before (first: the lines this import
    adds need none), and store the lines not seen before.

    Runs in the caller's transaction, under the account's lock (that every writer of its records holds:
    detection reads them). The staging table has `sync.ledger_report.STAGING_COLUMNS`.
    """
    seller_account_lock(seller_account_id=seller_account.pk)
    params = {"tenant_id": seller_account.tenant_id, "seller_account_id": seller_account.pk, "source": source,
              "run_id": run_id}
    with connection.cursor() as cursor:
        cursor.execute(sql.reconcile_sql(staging_table=staging_table), params)
        reconciled = cursor.fetchall()
        fnskus = {row[0] for row in reconciled}
        cursor.execute(sql.numbered_sql(staging_table=staging_table), params)
        cursor.execute(sql.INSERT_SQL, params)
        rows_new = max(cursor.rowcount, 0)
        if rows_new:
            cursor.execute(sql.NEW_FNSKUS_SQL)
            fnskus.update(row[0] for row in cursor.fetchall())
        cursor.execute("DROP TABLE ledger_new_lines")
    return LinesStored(rows_new, len(reconciled), sorted(fnskus))


def claim_windows_ensure() -> int:
    """Add the default claim windows (`ledger.windows`) that have no row; never changes one staff edited.
    Returns how many were added."""
    added = 0
    for (marketplace, claim_type), (opens, closes, note) in DEFAULT_WINDOWS.items():
        _, created = ClaimWindow.objects.get_or_create(
            marketplace=marketplace, claim_type=claim_type,
            defaults={"opens_after_days": opens, "closes_after_days": closes, "note": note},
        )
        added += created
    return added


def _windows(marketplace: str) -> dict[str, tuple[int, int]]:
    return {
        window.claim_type: (window.opens_after_days, window.closes_after_days)
        for window in ClaimWindow.objects.filter(marketplace=marketplace)
    }


def opportunities_detect(*, seller_account: SellerAccount, fnskus: list[str] | None = None) -> int:
    """Detect the account's opportunities again for `fnskus` (all of its FNSKUs when None), by the rules of
    `ledger.detection`; return how many were added or changed.

    Idempotent: a second run changes nothing. It writes only the figures (units, value, window): staff
    decisions (a linked case, a dismissal) stay as they are, whatever the new figures say.
    """
    with transaction.atomic():
        seller_account_lock(seller_account_id=seller_account.pk)
        if fnskus is None:
            fnskus = list(
                Opportunity.objects.filter(tenant_id=seller_account.tenant_id, seller_account=seller_account)
                .values_list("fnsku", flat=True).distinct()
            ) + _loss_fnskus(seller_account)
            fnskus = sorted(set(fnskus))
        windows = _windows(seller_account.marketplace)
        changed = 0
        for start in range(0, len(fnskus), DETECT_CHUNK):
            changed += _detect_chunk(seller_account, fnskus[start:start + DETECT_CHUNK], windows)
        return changed


def claim_window_apply(*, marketplace: str, claim_type: str) -> int:
    """Carry a claim window staff changed to the opportunities detected under the old one: the FNSKUs of every
    account of `marketplace` holding opportunities of `claim_type` are detected again, in every tenant (a
    window is reference data, no tenant's). Return how many opportunities changed."""
    changed = 0
    with across_tenants(reason=f"the {marketplace} claim window for {claim_type} changed"):
        by_account: dict[int, set[str]] = defaultdict(set)
        for account_id, fnsku in (Opportunity.objects.filter(seller_account__marketplace=marketplace,
                                                             claim_type=claim_type)
                                  .values_list("seller_account_id", "fnsku").distinct()):
            by_account[account_id].add(fnsku)
        for account in SellerAccount.objects.filter(pk__in=by_account).order_by("pk"):
            changed += opportunities_detect(seller_account=account, fnskus=sorted(by_account[account.pk]))
    return changed


def _loss_fnskus(seller_account: SellerAccount) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT fnsku FROM ledger_ledgerline WHERE seller_account_id = %s AND event_type = %s",
            [seller_account.pk, ADJUSTMENTS],
        )
        return [row[0] for row in cursor.fetchall()]


def _detect_chunk(seller_account: SellerAccount, fnskus: list[str], windows: dict[str, tuple[int, int]]) -> int:
    params = {"seller_account_id": seller_account.pk, "fnskus": fnskus, "event_type": ADJUSTMENTS,
              "reasons": sorted(DETECTED_CODES)}
    with connection.cursor() as cursor:
        cursor.execute(sql.DETECTION_LINES_SQL, params)
        lines = lines_by_fnsku(
            (fnsku, Line(date=date, reference_id=reference, reason=reason, quantity=quantity,
                         fulfillment_center=center, sku=sku, asin=asin, title=title, unreconciled=unreconciled))
            for fnsku, date, reference, reason, quantity, center, sku, asin, title, unreconciled in cursor.fetchall()
        )
        if not lines:
            return 0
        fnskus = sorted(lines)
        params["fnskus"] = fnskus
        cursor.execute(sql.REIMBURSED_SQL, {**params, "reasons": sorted(REIMBURSED_REASONS)})
        reimbursed: dict[str, list[Reimbursed]] = {}
        for fnsku, date, units in cursor.fetchall():
            reimbursed.setdefault(fnsku, []).append(Reimbursed(date, units))
        cursor.execute(sql.LATEST_PER_UNIT_SQL, params)
        per_unit = {fnsku: (amount, currency) for fnsku, amount, currency in cursor.fetchall()}
    skus = {line.sku for fnsku in fnskus for line in lines[fnsku] if line.sku}
    with connection.cursor() as cursor:
        cursor.execute(sql.PRICES_SQL, {**params, "skus": sorted(skus)})
        prices = {sku: (amount, currency) for sku, amount, currency in cursor.fetchall()}
    rows = []
    for fnsku in fnskus:
        for event in events_of(lines[fnsku], reimbursed.get(fnsku, ())):
            value = unit_value(reimbursed_per_unit=per_unit.get(fnsku), staff_price=prices.get(event.sku))
            opens, closes = windows.get(event.claim_type) or default_window(seller_account.marketplace, event.claim_type)
            amount = quantize(value.per_unit * event.units_open) if value.per_unit is not None else None
            rows.append((
                event.claim_type, fnsku, event.reference_id, event.sku, event.asin, event.title[:500],
                " ".join(event.centers)[:100], event.date, event.units_lost, event.units_open, value.per_unit,
                amount, value.currency, value.source, event.date + dt.timedelta(days=opens),
                event.date + dt.timedelta(days=closes),
            ))
    if not rows:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(sql.CREATE_DETECTED_SQL)
        with cursor.copy(sql.COPY_DETECTED_SQL) as copy:
            for detected in rows:
                copy.write_row(detected)
        cursor.execute(sql.UPSERT_SQL, [seller_account.tenant_id, seller_account.pk])
        return max(cursor.rowcount, 0)


def opportunity_dismiss(*, opportunity: Opportunity, actor, reason: str) -> Opportunity:
    """Staff decide an opportunity is not worth a claim. Needs a reason; refused once it has a case."""
    if not reason.strip():
        raise OpportunityRefused("Say why the opportunity is dismissed.")
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk, tenant_id=opportunity.tenant_id)
        if locked.case_id is not None:
            raise OpportunityRefused(f"{locked} became case {locked.case}: it cannot be dismissed.")
        if locked.dismissed_at is not None:
            return locked
        locked.dismissed_at, locked.dismissed_by, locked.dismiss_reason = timezone.now(), actor, reason.strip()
        locked.save(update_fields=["dismissed_at", "dismissed_by", "dismiss_reason", "updated_at"])
        return locked


def opportunity_restore(*, opportunity: Opportunity, actor) -> Opportunity:
    """Take a dismissal back: the opportunity is counted again."""
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk, tenant_id=opportunity.tenant_id)
        locked.dismissed_at, locked.dismissed_by, locked.dismiss_reason = None, None, ""
        locked.save(update_fields=["dismissed_at", "dismissed_by", "dismiss_reason", "updated_at"])
        return locked


def case_from_opportunity(opportunity: Opportunity) -> Case:
    """A case filled in from the opportunity, not saved: what staff see on the admin's add form. An unvalued
    one claims 0 in the account's first currency, which staff must correct before the case can be saved."""
    return Case(
        tenant_id=opportunity.tenant_id, seller_account_id=opportunity.seller_account_id,
        reimbursement_type=opportunity.claim_type, sku=opportunity.sku, fnsku=opportunity.fnsku,
        asin=opportunity.asin, product_title=opportunity.title, units_claimed=opportunity.units_open or None,
        claimed_amount=opportunity.amount or Decimal(0),
        currency=opportunity.currency or next(iter(opportunity.seller_account.currencies), ""),
        event_date=opportunity.event_date, claim_window_closes_on=opportunity.window_closes_on,
        claim_deadline=opportunity.window_closes_on, date_filed=timezone.localdate(),
        internal_note=f"From the inventory ledger: reference ID {opportunity.reference_id}.",
    )


def opportunity_claim(*, opportunity: Opportunity, case: Case, actor) -> Case:
    """Record the case staff filed for the opportunity and link both, in one transaction.

    The case carries the event's date and claim window; its claim deadline is the window's close unless
    staff set another (a change of it on the case later asks for a reason).
    """
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk, tenant_id=opportunity.tenant_id)
        if locked.case_id is not None:
            raise OpportunityRefused(f"{locked} is already case {locked.case}.")
        if locked.dismissed_at is not None:
            raise OpportunityRefused(f"{locked} was dismissed: restore it before filing a case.")
        if case.seller_account_id != locked.seller_account_id:
            raise OpportunityRefused("The case must be for the opportunity's seller account.")
        case.event_date, case.claim_window_closes_on = locked.event_date, locked.window_closes_on
        if case.claim_deadline is None:
            case.claim_deadline = locked.window_closes_on
        case = case_create(case=case, actor=actor, reason=f"Case filed for ledger event {locked.reference_id}")
        locked.case = case
        locked.save(update_fields=["case", "updated_at"])
        return case
