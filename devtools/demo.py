"""Demo data: two tenants with cases in every status, records, reversals, users and the staff group.

`demo_plan()` is pure: the same seed gives the same cases, records and dates, whatever the
database holds. `demo_seed()` writes what is missing, through the same services staff and the
sync use, so running it twice changes nothing.
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Marketplace, Membership, Region, SellerAccount, SyncBackend, Team, Tenant
from accounts.rls import across_tenants
from accounts.roles import staff_group_ensure
from cases.models import Case, CaseStatus, EventSource, ReimbursementRecord
from cases.models import ReimbursementType as T
from cases.services import case_create, case_transition, records_match
from monitoring.progress import NO_PROGRESS
from sync.report_writer import AMAZON_REASONS

SEED = 20261126
END = dt.date(2026, 11, 26)
SERVICE_START = dt.date(2025, 11, 3)
FINGERPRINTS = uuid.UUID("6f1c2a52-9d1e-4a43-9a57-3f0f2c1d7e10")


@dataclass(frozen=True)
class AccountSpec:
    marketplace: str
    external_id: str
    name: str
    region: str
    marketplace_ids: tuple[str, ...]
    currencies: tuple[str, ...]
    case_count: int


@dataclass(frozen=True)
class TenantSpec:
    name: str
    slug: str
    username: str
    catalogue: tuple[tuple[str, str, str, str, Decimal], ...]
    accounts: tuple[AccountSpec, ...]


NA_MARKETPLACES = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2")
TENANTS = (
    TenantSpec(
        "Acme Goods", "acme-goods", "seller-a",
        (
            ("B07ACME001", "ACME-KETTLE-1", "X00ACME001", "Acme stainless kettle 1.7 l", Decimal("34.90")),
            ("B07ACME002", "ACME-MUG-SET4", "X00ACME002", "Acme stoneware mugs, set of 4", Decimal("21.50")),
            ("B07ACME003", "ACME-KNIFE-8", "X00ACME003", "Acme chef's knife 8 in", Decimal("48.00")),
            ("B07ACME004", "ACME-BOARD-L", "X00ACME004", "Acme bamboo cutting board, large", Decimal("17.25")),
            ("B07ACME005", "ACME-PAN-28", "X00ACME005", "Acme non-stick frying pan 28 cm", Decimal("39.99")),
        ),
        (
            AccountSpec(Marketplace.AMAZON, "A1DEMOSELLERA", "Acme Goods US", Region.NA, NA_MARKETPLACES,
                        ("USD",), 18),
            AccountSpec(Marketplace.AMAZON, "A2DEMOSELLERAEU", "Acme Goods EU", Region.EU,
                        ("A1PA6795UKMFR9", "A13V1IB3VIYZZH"), ("EUR",), 10),
            AccountSpec(Marketplace.WALMART, "10001234", "Acme Goods on Walmart", "", (), ("USD",), 8),
        ),
    ),
    TenantSpec(
        "Bolt Supplies", "bolt-supplies", "seller-b",
        (
            ("B08BOLT001", "BOLT-DRILL-18V", "X00BOLT001", "Bolt cordless drill 18 V", Decimal("89.00")),
            ("B08BOLT002", "BOLT-BITS-50", "X00BOLT002", "Bolt drill bit set, 50 pieces", Decimal("24.95")),
            ("B08BOLT003", "BOLT-GLOVES-L", "X00BOLT003", "Bolt work gloves, large", Decimal("12.40")),
            ("B08BOLT004", "BOLT-LEVEL-60", "X00BOLT004", "Bolt spirit level 60 cm", Decimal("19.80")),
        ),
        (
            AccountSpec(Marketplace.AMAZON, "A1DEMOSELLERB", "Bolt Supplies", Region.NA, NA_MARKETPLACES,
                        ("USD", "CAD"), 30),
        ),
    ),
)

OUTCOMES = (
    "open", "partial", "full", "not_eligible", "open", "closed", "reversal", "full_inventory",
    "partial_closed", "fee_full", "reopened", "open",
)
"""Cycled per seller account: every status shows up, and several Open cases claim more than one unit."""

NOT_ELIGIBLE_REASONS = (
    "The marketplace found the units in its fulfilment centre and returned them to inventory.",
    "Denied: the claim was filed after the claim window closed.",
    "Denied: the carrier's proof of delivery matches the shipment.",
)
CLOSED_REASONS = (
    "Closed by the marketplace after two follow-ups: nothing more will be paid.",
    "The seller asked us to stop pursuing this claim.",
)
WALMART_TYPES = (T.LOST_INBOUND, T.CUSTOMER_RETURN, T.OTHER)
AMAZON_TYPES = (T.LOST_WAREHOUSE, T.DAMAGED_WAREHOUSE, T.LOST_INBOUND, T.CUSTOMER_RETURN, T.REMOVAL_ORDER)


@dataclass(frozen=True)
class RecordSpec:
    case_reference: str
    approval_date: dt.datetime
    reimbursement_id: str
    reason: str
    sku: str
    asin: str
    fnsku: str
    product_name: str
    currency: str
    amount_per_unit: Decimal
    amount_total: Decimal
    quantity_cash: int
    quantity_inventory: int = 0
    original_reimbursement_id: str = ""
    original_reimbursement_type: str = ""


@dataclass
class CaseSpec:
    fields: dict
    records: list[RecordSpec] = field(default_factory=list)
    transitions: list[tuple[str, str, dt.date]] = field(default_factory=list)
    """(status, reason, the day the marketplace answered), in order."""


@dataclass
class AccountPlan:
    spec: AccountSpec
    cases: list[CaseSpec]
    loose_records: list[RecordSpec]


def _approved(day: dt.date, rng: random.Random) -> dt.datetime:
    day = min(day, END - dt.timedelta(days=1))
    return dt.datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59), tzinfo=dt.UTC)


def _case_plan(account: AccountSpec, tenant: TenantSpec, index: int, rng: random.Random, case_id: str) -> CaseSpec:
    outcome = OUTCOMES[index % len(OUTCOMES)]
    currency = account.currencies[1] if len(account.currencies) > 1 and index % 5 == 4 else account.currencies[0]
    asin, sku, fnsku, title, price = rng.choice(tenant.catalogue)
    walmart = account.marketplace == Marketplace.WALMART
    kind = T.FEE_OVERCHARGE if outcome == "fee_full" else rng.choice(WALMART_TYPES if walmart else AMAZON_TYPES)
    units = None if outcome == "fee_full" else rng.randint(2, 5)
    claimed = Decimal(rng.randint(500, 4000)) / 100 if units is None else price * units
    filed = END - dt.timedelta(days=rng.randint(3, 45) if outcome == "open" else rng.randint(40, 340))
    fields = {
        "marketplace_case_id": case_id, "reimbursement_type": kind,
        "asin": "" if walmart else asin, "sku": sku, "fnsku": "" if walmart else fnsku, "product_title": title,
        "order_id": f"{rng.randint(100, 999)}-{rng.randint(10**6, 10**7 - 1)}-{rng.randint(10**6, 10**7 - 1)}"
        if kind == T.CUSTOMER_RETURN else "",
        "shipment_id": f"FBA{rng.randint(10**8, 10**9 - 1)}" if kind == T.LOST_INBOUND else "",
        "removal_order_id": f"RO{rng.randint(10**6, 10**7 - 1)}" if kind == T.REMOVAL_ORDER else "",
        "units_claimed": units, "claimed_amount": claimed, "currency": currency, "date_filed": filed,
        "claim_deadline": filed + dt.timedelta(days=rng.randint(5, 40)),
        "seller_note": "Filed with photos of the damaged units." if kind == T.DAMAGED_WAREHOUSE else "",
        "internal_note": f"Demo case {index + 1} of {account.external_id}.",
    }
    plan = CaseSpec(fields)
    reason = "Inbound discrepancy" if walmart and kind == T.LOST_INBOUND else (
        "Return dispute" if walmart else AMAZON_REASONS[kind])

    def pay(days: int, cash: int, amount: Decimal, inventory: int = 0, **extra) -> RecordSpec:
        record = RecordSpec(
            case_id, _approved(filed + dt.timedelta(days=days), rng), str(rng.randint(10**9, 10**10 - 1)),
            extra.pop("reason", reason), sku, fields["asin"], fields["fnsku"], title, currency,
            price if units else amount, amount, cash, inventory, **extra,
        )
        plan.records.append(record)
        return record

    after = rng.randint(6, 30)
    if outcome in ("partial", "partial_closed"):
        pay(after, units - 1, price * (units - 1))
    elif outcome == "full":
        pay(after, units, price * units)
    elif outcome == "full_inventory":
        pay(after, units - 1, price * (units - 1))
        pay(after + 3, 0, Decimal("0.00"), inventory=1)
    elif outcome == "fee_full":
        pay(after, 0, claimed)
    elif outcome == "reversal":
        first = pay(after, units, price * units)
        pay(after + rng.randint(20, 60), -1, -price, reason="Reimbursement_Reversal",
            original_reimbursement_id=first.reimbursement_id, original_reimbursement_type=first.reason)
    last_day = END - dt.timedelta(days=1)
    if outcome == "not_eligible":
        plan.transitions.append((CaseStatus.NOT_ELIGIBLE, rng.choice(NOT_ELIGIBLE_REASONS), last_day))
    elif outcome in ("closed", "partial_closed"):
        plan.transitions.append((CaseStatus.CLOSED, rng.choice(CLOSED_REASONS), last_day))
    elif outcome == "reopened":
        denied = min(filed + dt.timedelta(days=after), last_day - dt.timedelta(days=7))
        plan.transitions.append((CaseStatus.NOT_ELIGIBLE, NOT_ELIGIBLE_REASONS[0], denied))
        plan.transitions.append((CaseStatus.OPEN, "The seller sent the invoice; the marketplace reopened the case.",
                                 denied + dt.timedelta(days=7)))
    if plan.transitions and plan.transitions[-1][0] != CaseStatus.OPEN:
        status, reason, _ = plan.transitions[-1]
        answered = min(filed + dt.timedelta(days=after + rng.randint(1, 20)), last_day)
        plan.transitions[-1] = (status, reason, answered)
    return plan


def _loose_records(account: AccountSpec, tenant: TenantSpec, rng: random.Random) -> list[RecordSpec]:
    """Automatic reimbursements (nobody filed a case), and one for a case not recorded yet."""
    if account.marketplace != Marketplace.AMAZON:
        return []
    records = []
    for months_back, reference in ((2, ""), (5, ""), (9, ""), (1, str(rng.randint(10**9, 10**10 - 1)))):
        asin, sku, fnsku, title, price = rng.choice(tenant.catalogue)
        units = rng.randint(1, 3)
        records.append(RecordSpec(
            reference, _approved(END - dt.timedelta(days=30 * months_back + rng.randint(0, 20)), rng),
            str(rng.randint(10**9, 10**10 - 1)), "Lost_Warehouse" if reference == "" else "Damaged_Warehouse",
            sku, asin, fnsku, title, account.currencies[0], price, price * units, units,
        ))
    return records


def demo_plan(*, seed: int = SEED) -> list[tuple[TenantSpec, list[AccountPlan]]]:
    """Every tenant's accounts, cases and records, decided by the seed alone."""
    plan = []
    for tenant in TENANTS:
        accounts = []
        for account in tenant.accounts:
            rng = random.Random(f"{seed}:{account.external_id}")
            case_ids: list[str] = []
            while len(case_ids) < account.case_count:
                number = rng.randint(10**9, 10**10 - 1)
                case_id = f"WFS{number}" if account.marketplace == Marketplace.WALMART else str(number)
                if case_id not in case_ids:
                    case_ids.append(case_id)
            cases = [_case_plan(account, tenant, i, rng, case_id) for i, case_id in enumerate(case_ids)]
            accounts.append(AccountPlan(account, cases, _loose_records(account, tenant, rng)))
        plan.append((tenant, accounts))
    return plan


def user_ensure(*, username: str, password: str, is_staff: bool = False) -> tuple[object, bool]:
    """The user named `username`, and whether it was created now.

    Only a user created here gets the demo password: an existing user (a real person who happens
    to be named `staff`, or a demo user whose password was changed since) keeps its password and
    flags, so that running the seed again never reopens an account with a known password.
    """
    user, created = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": is_staff})
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user, created


def _record_add(account: SellerAccount, spec: RecordSpec, staff) -> None:
    values = {name: getattr(spec, name) for name in RecordSpec.__dataclass_fields__}
    fingerprint = uuid.uuid5(FINGERPRINTS, "|".join([account.external_id, *map(str, values.values())]))
    if ReimbursementRecord.objects.filter(seller_account=account, fingerprint=fingerprint, occurrence=1).exists():
        return
    walmart = account.marketplace == Marketplace.WALMART
    record = ReimbursementRecord.objects.create(
        **values, tenant_id=account.tenant_id, seller_account=account, fingerprint=fingerprint, occurrence=1,
        source=f"Entered by {staff.get_username()}" if walmart else "Demo FBA reimbursements report",
    )
    records_match(
        seller_account_id=account.pk, record_ids=[record.pk],
        source=EventSource.STAFF if walmart else EventSource.SYNC, actor=staff if walmart else None,
        reason="Walmart settlement entered by staff" if walmart else "FBA reimbursements report",
    )


@dataclass
class SeedResult:
    users: list[str]
    users_created: list[str] = field(default_factory=list)
    cases_created: int = 0


DEMO_TEAM = "Reimbursement team"
"""The demo staff member's team: it works on both demo tenants."""


@across_tenants(reason="demo: development data")
@transaction.atomic
def demo_seed(*, password: str, seed: int = SEED, progress=NO_PROGRESS) -> SeedResult:
    """Write the demo plan: only what is missing, so a second run changes nothing."""
    result = SeedResult(users=["staff"])
    staff, created = user_ensure(username="staff", password=password, is_staff=True)
    if created:
        staff.groups.add(staff_group_ensure())
        result.users_created.append("staff")
    team, _ = Team.objects.get_or_create(name=DEMO_TEAM)
    team.members.add(staff)
    plan_of_tenants = demo_plan(seed=seed)
    progress.set_total(sum(len(plan.cases) for _, plans in plan_of_tenants for plan in plans))
    for tenant_spec, account_plans in plan_of_tenants:
        tenant, _ = Tenant.objects.get_or_create(slug=tenant_spec.slug, defaults={"name": tenant_spec.name})
        team.tenants.add(tenant)
        seller, created = user_ensure(username=tenant_spec.username, password=password)
        Membership.objects.get_or_create(user=seller, tenant=tenant)
        result.users.append(tenant_spec.username)
        if created:
            result.users_created.append(tenant_spec.username)
        for plan in account_plans:
            spec = plan.spec
            account, _ = SellerAccount.objects.get_or_create(
                marketplace=spec.marketplace, external_id=spec.external_id,
                defaults={
                    "tenant": tenant, "name": spec.name, "region": spec.region,
                    "marketplace_ids": list(spec.marketplace_ids), "connected": True,
                    "service_initiated_on": SERVICE_START,
                    "sync_backend": SyncBackend.MANUAL if spec.marketplace == Marketplace.WALMART
                    else SyncBackend.SANDBOX,
                },
            )
            if account.tenant_id != tenant.pk:
                raise ValueError(f"Seller account {account.label} belongs to another tenant than {tenant.name}")
            for case_plan in plan.cases:
                progress.advance()
                case = Case.objects.filter(
                    seller_account=account, marketplace_case_id=case_plan.fields["marketplace_case_id"]
                ).first()
                created = case is None
                if created:
                    case = case_create(case=Case(seller_account=account, **case_plan.fields), actor=staff)
                    result.cases_created += 1
                for record in case_plan.records:
                    _record_add(account, record, staff)
                if created:
                    for to_status, reason, answered_on in case_plan.transitions:
                        case = case_transition(case=case, to_status=to_status, actor=staff, reason=reason,
                                               answered_on=answered_on)
            for record in plan.loose_records:
                _record_add(account, record, staff)
    return result
