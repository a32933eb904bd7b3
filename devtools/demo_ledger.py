"""The demo's inventory ledger: every stage of the Identified funnel on the demo's Amazon accounts.

Staff prices value the sandbox's products; the sandbox's ledger for the last 18 months is ingested (losses Amazon paid on its own, losses found again,
losses nobody paid: future, ready and expired amounts), then staff claim four ready-or-expired amounts
the first time, whose cases end recovered in cash, returned to inventory, Not Eligible, and still open.
Safe to run again: the ingestion adds only missing lines, and the claims are made once per account.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Marketplace, SellerAccount, SyncBackend
from accounts.rls import across_tenants
from cases.models import CaseStatus
from cases.records import record_add_manual
from cases.services import case_transition
from ledger.models import Opportunity, SkuPrice
from ledger.services import case_from_opportunity, claim_windows_ensure, opportunity_claim
from sync.adapters.sandbox import PRODUCTS as SANDBOX_PRODUCTS
from sync.adapters.sandbox import account_currency, ledger_rows
from sync.ledger_ingest import ingest_ledger

LOOKBACK = dt.timedelta(days=548)
CLAIM_PREFIX = "LDG"
OUTCOMES = ("recovered", "returned", "denied", "open")


@across_tenants(reason="demo: development data")
def demo_ledger_seed(*, staff, seed: int | None = None) -> int:
    """Ingest each demo Amazon account's sandbox ledger and claim its first amounts; the cases created."""
    seed = settings.SANDBOX_SEED if seed is None else seed
    claim_windows_ensure()
    created = 0
    now = timezone.now()
    for account in SellerAccount.objects.filter(marketplace=Marketplace.AMAZON, sync_backend=SyncBackend.SANDBOX):
        if not account.ledger_polled:
            account.ledger_polled = True
            account.save(update_fields=["ledger_polled"])
        _prices(account)
        ingest_ledger(seller_account=account, lines=ledger_rows(account, seed=seed, since=now - LOOKBACK, until=now),
                      source="Demo inventory ledger")
        created += _claims(account, staff)
    return created


def _prices(account: SellerAccount) -> None:
    """Staff prices for the sandbox's products, so that amounts have a value before any reimbursement comes."""
    currency = account_currency(account)
    for product in range(1, SANDBOX_PRODUCTS + 1):
        SkuPrice.objects.get_or_create(
            seller_account=account, sku=f"SBX-AUTO-{product:03d}",
            defaults={"tenant_id": account.tenant_id, "currency": currency,
                      "amount": Decimal("5.00") + Decimal("0.75") * product},
        )


@transaction.atomic
def _claims(account: SellerAccount, staff) -> int:
    if Opportunity.objects.filter(seller_account=account, case__isnull=False).exists():
        return 0
    today = timezone.localdate()
    candidates = list(
        Opportunity.objects.filter(seller_account=account, case__isnull=True, dismissed_at__isnull=True,
                                   units_open__gt=1, amount__isnull=False, window_opens_on__lte=today)
        .order_by("event_date", "id")[: len(OUTCOMES)]
    )
    for index, (opportunity, outcome) in enumerate(zip(candidates, OUTCOMES)):
        draft = case_from_opportunity(opportunity)
        draft.marketplace_case_id = f"19{account.pk:03d}{index:05d}"
        draft.date_filed = min(today, opportunity.window_opens_on + dt.timedelta(days=2))
        case = opportunity_claim(opportunity=opportunity, case=draft, actor=staff)
        paid_on = dt.datetime.combine(min(today, draft.date_filed + dt.timedelta(days=12)), dt.time(10), tzinfo=dt.UTC)
        per_unit = case.claimed_amount / case.units_claimed
        if outcome in ("recovered", "returned"):
            inventory = 1 if outcome == "returned" else 0
            cash = case.units_claimed - inventory
            record_add_manual(
                seller_account=account, actor=staff, reimbursement_id=f"{CLAIM_PREFIX}{case.marketplace_case_id}",
                case_reference=case.marketplace_case_id, approval_date=paid_on, reason="Lost_Warehouse",
                currency=case.currency, amount_per_unit=per_unit.quantize(Decimal("0.01")),
                amount_total=(per_unit * cash).quantize(Decimal("0.01")), quantity_cash=cash,
                quantity_inventory=inventory, sku=case.sku, fnsku=case.fnsku, asin=case.asin,
            )
        elif outcome == "denied":
            case_transition(case=case, to_status=CaseStatus.NOT_ELIGIBLE, actor=staff, answered_on=paid_on.date(),
                            reason="Amazon found the units were received short at inbound, not lost")
    return len(candidates)
