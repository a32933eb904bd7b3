"""The sandbox: a simulated Amazon that answers an account's cases over time.

Each case gets a fate drawn from a random generator seeded with (SANDBOX_SEED, the account, the
case's filing data): never answered, paid in full, paid in part (sometimes the rest later), a unit
reversed months later. Every day also has a small chance of an automatic reimbursement. The rows
for a window are those of these fixed timelines approved in [since, until): they depend on the seed,
the cases and the window only, so polling twice, or over overlapping windows, yields the same rows.
The report is written to a temporary file first: ingestion reads the lines while it streams them
into the database on the same connection.

Its Inventory Ledger is consistent with what it reimburses: each automatic reimbursement of units lost or
damaged has its loss in the ledger 10 to 30 days before; besides, on some days units of some product are
lost or damaged and never reimbursed automatically: some are found a few days later (an `F` line), the others
stay open and become identified amounts (future, ready, then expired), some of which staff claim.

Cases staff closed or found Not Eligible get nothing, and so do cases already answered by another
source (a report file, staff): their records carry no sandbox reimbursement ID.
"""

import datetime as dt
import hashlib
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef

from accounts.models import Marketplace, SellerAccount
from cases.models import REVERSAL_REASON, Case, CaseStatus, ReimbursementRecord
from cases.money import quantize
from sync.adapters.base import MarketplaceAdapter, lines_of
from sync.ledger_writer import ledger_header, ledger_line
from sync.report_writer import AMAZON_REASONS, report_header, report_line

ID_PREFIX = "SBX"
MARKETPLACE_CURRENCY = {
    "ATVPDKIKX0DER": "USD", "A2EUQ1WTGCTBG2": "CAD", "A1AM78C64UM0Y8": "MXN",
    "A1F83G8C2ARO7P": "GBP", "A1PA6795UKMFR9": "EUR", "A13V1IB3VIYZZH": "EUR",
    "APJ6JRA9NG5V4": "EUR", "A1RKKUPIHCS9HS": "EUR", "A1VC38T7YXB528": "JPY",
}
REGION_CURRENCY = {"NA": "USD", "EU": "EUR", "FE": "JPY"}
AUTOMATIC_DAILY_CHANCE = 0.08


@dataclass(frozen=True)
class Row:
    approval: dt.datetime
    reimbursement_id: str
    reason: str
    currency: str
    amount_per_unit: Decimal
    amount_total: Decimal
    cash: int = 0
    inventory: int = 0
    case_id: str = ""
    order_id: str = ""
    sku: str = ""
    fnsku: str = ""
    asin: str = ""
    product_name: str = ""
    original_id: str = ""
    original_type: str = ""

    def line(self) -> str:
        return report_line({
            "approval-date": self.approval.isoformat(),
            "reimbursement-id": self.reimbursement_id,
            "case-id": self.case_id,
            "amazon-order-id": self.order_id,
            "reason": self.reason,
            "sku": self.sku,
            "fnsku": self.fnsku,
            "asin": self.asin,
            "product-name": self.product_name.replace("\t", " "),
            "condition": "SELLABLE" if self.inventory else "",
            "currency-unit": self.currency,
            "amount-per-unit": str(self.amount_per_unit),
            "amount-total": str(self.amount_total),
            "quantity-reimbursed-cash": str(self.cash),
            "quantity-reimbursed-inventory": str(self.inventory),
            "quantity-reimbursed-total": str(self.cash + self.inventory),
            "original-reimbursement-id": self.original_id,
            "original-reimbursement-type": self.original_type,
        })


def _rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b("|".join(str(part) for part in parts).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
    return start + dt.timedelta(seconds=rng.randrange(86400))


def _reimbursement_id(rng: random.Random) -> str:
    return f"{ID_PREFIX}{rng.randrange(10**9):09d}"


def case_timeline(case: Case, *, seed: int, seller_id: str) -> list[Row]:
    """Every reimbursement line the sandbox will ever report for this case, oldest first."""
    rng = _rng(seed, seller_id, case.marketplace_case_id, case.date_filed, case.units_claimed,
               case.claimed_amount, case.currency)
    fate = rng.random()
    if fate < 0.15:
        return []
    reason = AMAZON_REASONS.get(case.reimbursement_type, "CustomerServiceIssue")
    product = {"case_id": case.marketplace_case_id, "order_id": case.order_id, "sku": case.sku,
               "fnsku": case.fnsku, "asin": case.asin, "product_name": case.product_title}
    first_day = case.date_filed + dt.timedelta(days=rng.randint(3, 30))
    units = case.units_claimed or 0
    part = fate >= 0.6
    rest_later = part and rng.random() < 0.5
    rows: list[Row] = []

    if units:
        per_unit = quantize(case.claimed_amount / units)
        paid = rng.randint(1, units - 1) if part and units > 1 else units
        installments = [paid] + ([units - paid] if rest_later and units > paid else [])
        day = first_day
        for quantity in installments:
            inventory = 1 if quantity > 1 and rng.random() < 0.15 else 0
            cash = quantity - inventory
            rows.append(Row(approval=_moment(rng, day), reimbursement_id=_reimbursement_id(rng), reason=reason,
                            currency=case.currency, amount_per_unit=per_unit, amount_total=per_unit * cash,
                            cash=cash, inventory=inventory, **product))
            day += dt.timedelta(days=rng.randint(7, 45))
        reversible = [row for row in rows if row.cash > 0]
        if reversible and rng.random() < 0.12:
            original = reversible[-1]
            rows.append(Row(approval=_moment(rng, day + dt.timedelta(days=rng.randint(20, 90))),
                            reimbursement_id=_reimbursement_id(rng), reason=REVERSAL_REASON, currency=case.currency,
                            amount_per_unit=per_unit, amount_total=-per_unit, cash=-1,
                            original_id=original.reimbursement_id, original_type=original.reason, **product))
    else:
        first = quantize(case.claimed_amount * Decimal(rng.randint(30, 80)) / 100) if part else case.claimed_amount
        amounts = [first] + ([case.claimed_amount - first] if rest_later else [])
        day = first_day
        for amount in amounts:
            rows.append(Row(approval=_moment(rng, day), reimbursement_id=_reimbursement_id(rng), reason=reason,
                            currency=case.currency, amount_per_unit=amount, amount_total=amount, **product))
            day += dt.timedelta(days=rng.randint(7, 45))
    return rows


def account_currency(account: SellerAccount) -> str:
    for marketplace_id in account.marketplace_ids:
        if marketplace_id in MARKETPLACE_CURRENCY:
            return MARKETPLACE_CURRENCY[marketplace_id]
    return REGION_CURRENCY.get(account.region, "USD")


def automatic_rows(account: SellerAccount, *, seed: int, since: dt.datetime, until: dt.datetime) -> Iterator[Row]:
    """Amazon paying on its own, without a case: on some days, a few units of some product."""
    currency = account_currency(account)
    day = since.astimezone(dt.timezone.utc).date()
    if account.service_initiated_on:
        day = max(day, account.service_initiated_on)
    last = until.astimezone(dt.timezone.utc).date()
    while day <= last:
        rng = _rng(seed, account.external_id, "automatic", day)
        if rng.random() < AUTOMATIC_DAILY_CHANCE:
            product = rng.randint(1, 40)
            per_unit = quantize(Decimal(rng.randint(300, 4500)) / 100)
            cash = rng.randint(1, 3)
            yield Row(approval=_moment(rng, day), reimbursement_id=_reimbursement_id(rng),
                      reason=rng.choice(["Lost_Warehouse", "Damaged_Warehouse"]), currency=currency,
                      amount_per_unit=per_unit, amount_total=per_unit * cash, cash=cash,
                      sku=f"SBX-AUTO-{product:03d}", fnsku=f"X00SBX{product:04d}", asin=f"B0SBX{product:05d}",
                      product_name=f"Sandbox product {product}")
        day += dt.timedelta(days=1)


LOSS_DAILY_CHANCE = 0.25
FOUND_CHANCE = 0.3
PRODUCTS = 40
CODES = {"Lost_Warehouse": "M", "Damaged_Warehouse": "E"}
CENTERS = ("PHX7", "ONT8", "LAS2", "MDW2")


def _line(day: dt.date, product: int, *, quantity: int, reason: str, reference: str, center: str) -> str:
    return ledger_line({
        "date": day, "fnsku": f"X00SBX{product:04d}", "asin": f"B0SBX{product:05d}", "msku": f"SBX-AUTO-{product:03d}",
        "title": f"Sandbox product {product}", "event_type": "Adjustments", "reference_id": reference,
        "quantity": quantity, "fulfillment_center": center,
        "disposition": "SELLABLE" if reason in ("M", "F") else "WAREHOUSE_DAMAGED", "reason": reason,
        "country": "US", "date_and_time": dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
    })


def _losses(account: SellerAccount, seed: int, day: dt.date) -> Iterator[tuple[str, dt.date]]:
    """The lines of the losses that happened on `day` and of their finds, each with the day it is dated."""
    rng = _rng(seed, account.external_id, "ledger", day)
    if rng.random() >= LOSS_DAILY_CHANCE:
        return
    product = rng.randint(1, PRODUCTS)
    units = rng.randint(1, 4)
    code = rng.choice(("M", "M", "E", "6"))
    reference = f"SBXL{rng.randrange(10**9):09d}"
    center = rng.choice(CENTERS)
    yield _line(day, product, quantity=-units, reason=code, reference=reference, center=center), day
    if code == "M" and rng.random() < FOUND_CHANCE:
        found_on = day + dt.timedelta(days=rng.randint(2, 20))
        yield _line(found_on, product, quantity=units, reason="F", reference=f"SBXF{rng.randrange(10**9):09d}",
                    center=center), found_on


def ledger_rows(account: SellerAccount, *, seed: int, since: dt.datetime, until: dt.datetime) -> Iterator[str]:
    """The ledger lines dated in [since, until), header first."""
    first, last = since.astimezone(dt.UTC).date(), until.astimezone(dt.UTC).date()
    yield ledger_header() + "\n"
    day = first - dt.timedelta(days=20)
    while day <= last:
        for line, dated in _losses(account, seed, day):
            if first <= dated <= last:
                yield line + "\n"
        day += dt.timedelta(days=1)
    window = (since - dt.timedelta(days=0), until + dt.timedelta(days=31))
    for row in automatic_rows(account, seed=seed, since=window[0], until=window[1]):
        rng = _rng(seed, account.external_id, "ledger-paid", row.reimbursement_id)
        lost_on = row.approval.date() - dt.timedelta(days=rng.randint(10, 30))
        if first <= lost_on <= last and row.amount_total > Decimal(0):
            yield _line(lost_on, int(row.fnsku[-4:]), quantity=-row.cash, reason=CODES[row.reason],
                        reference=f"SBXP{row.reimbursement_id[3:]}", center=rng.choice(CENTERS)) + "\n"


def answerable_cases(account: SellerAccount):
    others = ReimbursementRecord.objects.filter(case_id=OuterRef("pk")).exclude(reimbursement_id__startswith=ID_PREFIX)
    return (
        Case.objects.filter(tenant_id=account.tenant_id, seller_account_id=account.pk)
        .exclude(status__in=(CaseStatus.NOT_ELIGIBLE, CaseStatus.CLOSED))
        .exclude(Exists(others))
        .order_by("pk")
    )


class SandboxAdapter(MarketplaceAdapter):
    marketplaces = (Marketplace.AMAZON,)

    def __init__(self, *, seed: int | None = None, delay_seconds: float | None = None):
        self.seed = settings.SANDBOX_SEED if seed is None else seed
        self.delay_seconds = settings.SANDBOX_DELAY_SECONDS if delay_seconds is None else delay_seconds

    def fetch_reimbursements(
        self, account: SellerAccount, *, since: dt.datetime, until: dt.datetime
    ) -> Iterator[str]:
        self.source = f"sandbox seed {self.seed}"
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        report = tempfile.TemporaryFile("w+", encoding="utf-8")
        report.write(report_header() + "\n")
        for case in answerable_cases(account).iterator(chunk_size=2000):
            for row in case_timeline(case, seed=self.seed, seller_id=account.external_id):
                if since <= row.approval < until:
                    report.write(row.line() + "\n")
        for row in automatic_rows(account, seed=self.seed, since=since, until=until):
            if since <= row.approval < until:
                report.write(row.line() + "\n")
        return lines_of(report)

    def fetch_ledger(self, account: SellerAccount, *, since: dt.datetime, until: dt.datetime) -> Iterator[str]:
        self.source = f"sandbox ledger seed {self.seed}"
        return ledger_rows(account, seed=self.seed, since=since, until=until)
