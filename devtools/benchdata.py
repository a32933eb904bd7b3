"""Benchmark data: a tenant with 1,000,000 cases among 2,000,000, loaded in SQL in one transaction.

Every value is derived from the row number with `hashint8extended`, so two loads give the same
data. Each case's recovered amount, units and status are generated together and its
reimbursement records are derived from them, so the records sum exactly to what the case shows.
The rollup tables are filled by their triggers during the load and checked afterwards with
`cases.rollups.rollup_differences`.
"""

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django_scopes import scope

from accounts.models import Marketplace, Membership, Region, SellerAccount, Tenant
from accounts.rls import across_tenants
from cases.models import Case
from cases.money import quantize
from cases.rollups import rollup_differences
from sync.report_writer import AMAZON_REASONS, report_header, report_line

BIG_TENANT = "bench-big"
SCALE = int(os.environ.get("BENCH_SCALE", "1"))
"""Divides the case counts: BENCH_SCALE=5 loads 400,000 cases instead of 2,000,000 (for a quick comparison)."""
BIG_CASES = 1_000_000 // SCALE
OTHER_TENANTS = 20
BENCH_USER = "bench"
AUTOMATIC_SHARE = 0.05
LOADED_TABLES = ("cases_case", "cases_reimbursementrecord", "cases_caseevent")
CASE_ID_BASE = 1_000_000_000
CASE_ID_STRIDE = 10_000_000


@dataclass(frozen=True)
class AccountSpec:
    external_id: str
    marketplace: str
    region: str
    currency: str
    alt_currency: str
    alt_share: float
    weight: float
    case_prefix: str


BIG_ACCOUNTS = (
    AccountSpec("A1BENCHBIGNA", Marketplace.AMAZON, Region.NA, "USD", "USD", 0.0, 0.55, ""),
    AccountSpec("A1BENCHBIGEU", Marketplace.AMAZON, Region.EU, "EUR", "GBP", 0.3, 0.30, ""),
    AccountSpec("10009001", Marketplace.WALMART, "", "USD", "USD", 0.0, 0.15, "WFS-"),
)


def _other_account(number: int) -> AccountSpec:
    return AccountSpec(f"A1BENCHOTH{number:02d}", Marketplace.AMAZON, Region.NA, "USD", "CAD", 0.1, 1.0, "")


@dataclass(frozen=True)
class Slot:
    """A bench tenant, its position in the generated rows and its seller accounts."""

    tenant: Tenant
    cases: int
    accounts: list[tuple[SellerAccount, AccountSpec]]


def _r(k: int, of: str = "g") -> str:
    """A uniform number in [0, 1), the same for the same row and k on every load."""
    return f"((hashint8extended({of}, {k}) & 2147483647)::float8 / 2147483648.0)"


CASE_COLUMNS = (
    "tenant_id", "seller_account_id", "marketplace_case_id", "reimbursement_type", "status",
    "asin", "sku", "fnsku", "product_title", "order_id", "shipment_id", "removal_order_id",
    "units_claimed", "claimed_amount", "currency", "recovered_amount", "units_reimbursed_cash",
    "units_reimbursed_inventory", "last_reimbursed_on", "date_filed", "claim_deadline", "closed_on",
    "seller_note", "internal_note", "created_at", "updated_at", "last_event_on",
)

TYPES = (
    (0.30, "lost_warehouse"), (0.50, "damaged_warehouse"), (0.65, "lost_inbound"),
    (0.85, "customer_return"), (0.92, "removal_order"), (0.97, "fee_overcharge"), (1.01, "other"),
)
RECENT_STATUSES = ((0.70, "open"), (0.85, "partially_reimbursed"), (1.01, "fully_reimbursed"))
OLDER_STATUSES = (
    (0.15, "open"), (0.27, "partially_reimbursed"), (0.72, "fully_reimbursed"),
    (0.88, "not_eligible"), (1.01, "closed"),
)


def _pick(r: str, choices) -> str:
    whens = " ".join(f"WHEN {r} < {bound} THEN '{value}'" for bound, value in choices)
    return f"CASE {whens} END"


def _cases_sql(slots: list[Slot]) -> str:
    """One INSERT for every bench case; tenants interleave in the heap as they would over time."""
    big, others = slots[0], slots[1:]
    account_whens = []
    index = 0
    for slot_number, slot in enumerate(slots):
        bound = 0.0
        for position, (_, spec) in enumerate(slot.accounts, start=1):
            index += 1
            bound += spec.weight
            share = f" AND r1 < {bound:.4f}" if position < len(slot.accounts) else ""
            account_whens.append(f"WHEN t = {slot_number}{share} THEN {index}")
    return f"""
INSERT INTO cases_case ({", ".join(CASE_COLUMNS)})
WITH base AS (
    SELECT g,
        CASE WHEN mod(g, 2) = 0 THEN 0 ELSE 1 + mod(g / 2, {len(others)}) END AS t,
        CASE WHEN mod(g, 2) = 0 THEN g / 2 ELSE (g / 2) / {len(others)} + 1 END AS n,
        CASE WHEN mod(g, 2) = 0 THEN {big.cases} ELSE {others[0].cases if others else 1} END AS size,
        {_r(1)} AS r1, {_r(2)} AS r2, {_r(3)} AS r3, {_r(4)} AS r4, {_r(5)} AS r5,
        {_r(6)} AS r6, {_r(7)} AS r7, {_r(8)} AS r8, {_r(9)} AS r9
    FROM generate_series(1::bigint, {2 * big.cases}) AS g
), picked AS (
    SELECT b.*, CASE {" ".join(account_whens)} END AS account_index,
        current_date - 1095 + ((b.n - 1) * 1095 / b.size)::int AS date_filed,
        {_pick("b.r2", TYPES)} AS rtype,
        mod(hashint8extended(b.n, 11 + b.t) & 2147483647, 5000) AS product
    FROM base b
), shaped AS (
    SELECT p.*,
        CASE WHEN current_date - p.date_filed < 90 THEN {_pick("p.r3", RECENT_STATUSES)}
             ELSE {_pick("p.r3", OLDER_STATUSES)} END AS status,
        CASE WHEN p.rtype IN ('fee_overcharge', 'other') THEN NULL
             ELSE 1 + floor(p.r4 * p.r4 * p.r4 * 12)::int END AS units,
        round((3 + p.r5 * 150)::numeric, 2) AS price,
        greatest(p.date_filed, least(p.date_filed + 7 + floor(p.r6 * 60)::int, current_date - 1)) AS decided_on
    FROM picked p
), money AS (
    SELECT s.*,
        coalesce(s.units * s.price, round((5 + s.r5 * 500)::numeric, 2)) AS claimed,
        CASE WHEN s.status = 'partially_reimbursed' OR (s.status = 'closed' AND s.r7 < 0.4) THEN 'part'
             WHEN s.status = 'fully_reimbursed' THEN 'full' ELSE 'none' END AS paid
    FROM shaped s
), paid AS (
    SELECT m.*,
        CASE WHEN m.paid = 'full' AND m.units >= 2 AND m.r8 < 0.2 THEN 1 ELSE 0 END AS inventory
    FROM money m
), settled AS (
    SELECT p.*,
        CASE p.paid WHEN 'part' THEN coalesce(p.units, 0) / 2
                    WHEN 'full' THEN coalesce(p.units - p.inventory, 0) ELSE 0 END AS cash,
        CASE p.paid WHEN 'part' THEN round(p.claimed * (0.2 + 0.6 * p.r9)::numeric, 2)
                    WHEN 'full' THEN coalesce((p.units - p.inventory) * p.price, p.claimed)
                    ELSE 0 END AS recovered
    FROM paid p
)
SELECT a.tenant_id, a.id, a.case_prefix || ({CASE_ID_BASE} + s.t * {CASE_ID_STRIDE} + s.n)::text, s.rtype, s.status,
    'B0' || upper(substr(md5('asin' || s.t || ':' || s.product), 1, 8)),
    'SKU-' || lpad(s.product::text, 5, '0'),
    'X00' || upper(substr(md5('fnsku' || s.t || ':' || s.product), 1, 7)),
    'Bench product ' || s.product,
    CASE WHEN s.rtype = 'customer_return'
         THEN '11' || mod(s.n, 10) || '-' || lpad(mod(s.n * 7919, 9999991)::text, 7, '0')
              || '-' || lpad(s.g::text, 7, '0')
         ELSE '' END,
    CASE WHEN s.rtype = 'lost_inbound' THEN 'FBA' || upper(substr(md5('shp' || s.g), 1, 9)) ELSE '' END,
    CASE WHEN s.rtype = 'removal_order' THEN 'RMV' || s.g ELSE '' END,
    s.units, s.claimed,
    CASE WHEN s.r7 < a.alt_share THEN a.alt_currency ELSE a.currency END,
    s.recovered, s.cash, s.inventory,
    CASE WHEN s.paid <> 'none' THEN s.decided_on END,
    s.date_filed, s.date_filed + 60,
    CASE WHEN s.status IN ('not_eligible', 'closed') THEN s.decided_on END,
    '', '',
    s.date_filed + time '09:00',
    CASE WHEN s.status = 'open' THEN s.date_filed + time '09:00' ELSE s.decided_on + time '15:00' END,
    CASE WHEN s.status = 'open' THEN s.date_filed ELSE s.decided_on END
FROM settled s
JOIN unnest(%(account_ids)s::bigint[], %(tenant_ids)s::bigint[], %(currencies)s::text[],
            %(alt_currencies)s::text[], %(alt_shares)s::float8[], %(prefixes)s::text[])
    WITH ORDINALITY AS a(id, tenant_id, currency, alt_currency, alt_share, case_prefix, index)
    ON a.index = s.account_index
"""


RECORD_COLUMNS = (
    "tenant_id", "seller_account_id", "case_id", "case_reference", "approval_date", "reimbursement_id",
    "amazon_order_id", "reason", "sku", "fnsku", "asin", "product_name", "condition", "currency",
    "amount_per_unit", "amount_total", "quantity_cash", "quantity_inventory",
    "original_reimbursement_id", "original_reimbursement_type", "fingerprint", "occurrence", "source",
    "source_line", "created_at",
)
_REASON = "CASE c.reimbursement_type " + " ".join(
    f"WHEN '{t.value}' THEN '{r}'" for t, r in AMAZON_REASONS.items()
) + " END"

CASE_RECORDS_SQL = f"""
INSERT INTO cases_reimbursementrecord ({", ".join(RECORD_COLUMNS)})
WITH paid AS (
    SELECT c.*,
        CASE WHEN c.recovered_amount > 0 AND {_r(21, "c.id")} < 0.05 THEN 2 ELSE 1 END AS lines,
        CASE WHEN c.units_reimbursed_cash > 0 THEN 1 ELSE 0 END AS adj_units,
        CASE WHEN c.units_reimbursed_cash > 0
             THEN round(c.recovered_amount / c.units_reimbursed_cash, 2)
             ELSE round(c.recovered_amount / 4, 2) END AS adj
    FROM cases_case c
    WHERE c.tenant_id = ANY(%(tenant_ids)s)
      AND (c.recovered_amount <> 0 OR c.units_reimbursed_cash + c.units_reimbursed_inventory > 0)
), line AS (
    SELECT p.*, k,
        (p.last_reimbursed_on - (p.lines - k) * 15 + time '12:00') AT TIME ZONE 'UTC' AS approved,
        CASE WHEN k = 1 THEN p.recovered_amount + (p.lines - 1) * p.adj ELSE -p.adj END AS amount,
        CASE WHEN k = 1 THEN p.units_reimbursed_cash + (p.lines - 1) * p.adj_units
             ELSE -p.adj_units END AS cash
    FROM paid p CROSS JOIN LATERAL generate_series(1, p.lines) AS k
)
SELECT l.tenant_id, l.seller_account_id, l.id, l.marketplace_case_id, l.approved,
    '2' || lpad((l.id * 2 + l.k)::text, 11, '0'), l.order_id,
    CASE WHEN l.k = 2 THEN 'Reimbursement_Reversal' ELSE {_REASON.replace("c.", "l.")} END,
    l.sku, l.fnsku, l.asin, l.product_title, 'NewItem', l.currency,
    CASE WHEN l.cash <> 0 THEN round(abs(l.amount / l.cash), 2) ELSE abs(l.amount) END,
    l.amount, l.cash, CASE WHEN l.k = 1 THEN l.units_reimbursed_inventory ELSE 0 END,
    CASE WHEN l.k = 2 THEN '2' || lpad((l.id * 2 + 1)::text, 11, '0') ELSE '' END,
    CASE WHEN l.k = 2 THEN {_REASON.replace("c.", "l.")} ELSE '' END,
    md5('bench:' || l.id || ':' || l.k)::uuid, 1, 'bench', NULL, l.approved
FROM line l
"""

AUTOMATIC_RECORDS_SQL = f"""
INSERT INTO cases_reimbursementrecord ({", ".join(RECORD_COLUMNS)})
WITH line AS (
    SELECT a.*, j, a.id * 1000000 + j AS key,
        (current_date - 1 - floor({_r(31, "a.id * 1000000 + j")} * 1095)::int + time '12:00')
            AT TIME ZONE 'UTC' AS approved,
        round((4 + {_r(32, "a.id * 1000000 + j")} * 80)::numeric, 2) AS amount,
        mod(hashint8extended(a.id * 1000000 + j, 33) & 2147483647, 5000) AS product
    FROM unnest(%(account_ids)s::bigint[], %(tenant_ids)s::bigint[], %(currencies)s::text[],
                %(counts)s::int[]) AS a(id, tenant_id, currency, count)
    CROSS JOIN LATERAL generate_series(1, a.count) AS j
)
SELECT l.tenant_id, l.id, NULL, '', l.approved, '3' || lpad(l.key::text, 11, '0'), '', 'Lost_Warehouse',
    'SKU-' || lpad(l.product::text, 5, '0'), '', '', 'Bench product ' || l.product, 'NewItem', l.currency,
    l.amount, l.amount, 1, 0, '', '', md5('bench-auto:' || l.key)::uuid, 1, 'bench', NULL, l.approved
FROM line l
"""

EVENTS_SQL = """
INSERT INTO cases_caseevent (tenant_id, case_id, from_status, to_status, source, actor_id, reason, record_id,
    created_at, happened_on)
SELECT c.tenant_id, c.id, e.from_status, e.to_status, e.source, NULL, e.reason, NULL, e.at,
    CASE WHEN e.from_status = '' THEN c.date_filed ELSE c.last_event_on END
FROM cases_case c
CROSS JOIN LATERAL (VALUES
    ('', 'open', 'staff', 'Case filed', c.created_at),
    ('open', c.status,
     CASE WHEN c.status IN ('partially_reimbursed', 'fully_reimbursed') THEN 'sync' ELSE 'staff' END,
     CASE c.status WHEN 'not_eligible' THEN 'Amazon found the claim not eligible'
                   WHEN 'closed' THEN 'Nothing more will come'
                   ELSE 'Reimbursement report bench: recovered ' || c.recovered_amount || ' of '
                        || c.claimed_amount || ' ' || c.currency END,
     c.updated_at)
) AS e(from_status, to_status, source, reason, at)
WHERE c.tenant_id = %(tenant_id)s AND (e.from_status = '' OR c.status <> 'open')
"""

SECONDARY_INDEXES_SQL = """
SELECT format('DROP INDEX %%I', indexname), indexdef FROM pg_indexes i
WHERE schemaname = current_schema() AND tablename = ANY(%(tables)s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""
FOREIGN_KEYS_SQL = """
SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname, pg_get_constraintdef(oid))
FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%(tables)s)
"""


class BenchDataError(Exception):
    pass


def _tenant(slug: str, name: str) -> Tenant:
    return Tenant.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def _account(tenant: Tenant, spec: AccountSpec) -> SellerAccount:
    account, _ = SellerAccount.objects.get_or_create(
        marketplace=spec.marketplace, external_id=spec.external_id,
        defaults={
            "tenant": tenant, "region": spec.region, "name": f"{tenant.name} {spec.region or 'WFS'}",
            "marketplace_ids": ["ATVPDKIKX0DER"] if spec.region == Region.NA else [],
            "connected": True, "service_initiated_on": "2023-01-02",
        },
    )
    if account.tenant_id != tenant.pk:
        raise BenchDataError(f"Seller account {spec.external_id} belongs to another tenant")
    return account


def bench_setup(*, big_cases: int = BIG_CASES) -> list[Slot]:
    """The bench tenants, their seller accounts, and the user `bench` (a member of bench-big), which holds
    `big_cases` cases while the others hold as many together."""
    with across_tenants(reason="benchdata: development data"), transaction.atomic():
        big = _tenant(BIG_TENANT, "Bench Big Seller")
        slots = [Slot(big, big_cases, [(_account(big, spec), spec) for spec in BIG_ACCOUNTS])]
        for number in range(1, OTHER_TENANTS + 1):
            tenant = _tenant(f"bench-other-{number:02d}", f"Bench Seller {number:02d}")
            spec = _other_account(number)
            slots.append(Slot(tenant, big_cases // OTHER_TENANTS, [(_account(tenant, spec), spec)]))
        user, created = get_user_model().objects.get_or_create(username=BENCH_USER)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, tenant=big)
    return slots


def _case_counts(slots: list[Slot]) -> dict[int, int]:
    with across_tenants(reason="benchdata: development data"):
        return {slot.tenant.pk: Case.objects.filter(tenant=slot.tenant).count() for slot in slots}


def _drop_secondary_structures(cursor) -> list[str]:
    """Drop foreign keys and non-constraint indexes of the loaded tables; return the SQL that restores them."""
    restore_indexes, restore_keys = [], []
    for query, restore in ((FOREIGN_KEYS_SQL, restore_keys), (SECONDARY_INDEXES_SQL, restore_indexes)):
        cursor.execute(query, {"tables": list(LOADED_TABLES)})
        for drop, create in cursor.fetchall():
            cursor.execute(drop)
            restore.append(create)
    return restore_indexes + restore_keys


def _account_arrays(slots: list[Slot]) -> dict[str, list]:
    pairs = [pair for slot in slots for pair in slot.accounts]
    return {
        "account_ids": [account.pk for account, _ in pairs],
        "tenant_ids": [account.tenant_id for account, _ in pairs],
        "currencies": [spec.currency for _, spec in pairs],
        "alt_currencies": [spec.alt_currency for _, spec in pairs],
        "alt_shares": [spec.alt_share for _, spec in pairs],
        "prefixes": [spec.case_prefix for _, spec in pairs],
        "counts": [
            round(slot.cases * spec.weight * AUTOMATIC_SHARE) for slot in slots for _, spec in slot.accounts
        ],
    }


def _load(cursor, slots: list[Slot], step: Callable[[str], None]) -> None:
    arrays = _account_arrays(slots)
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cursor.execute("SET LOCAL work_mem = '64MB'")
    restore = _drop_secondary_structures(cursor)
    step(f"dropped {len(restore)} indexes and foreign keys for the load")
    cursor.execute(_cases_sql(slots), arrays)
    step(f"{cursor.rowcount:,} cases")
    cursor.execute(CASE_RECORDS_SQL, {"tenant_ids": [slot.tenant.pk for slot in slots]})
    step(f"{cursor.rowcount:,} reimbursement records of cases")
    cursor.execute(AUTOMATIC_RECORDS_SQL, arrays)
    step(f"{cursor.rowcount:,} automatic reimbursement records")
    cursor.execute(EVENTS_SQL, {"tenant_id": slots[0].tenant.pk})
    step(f"{cursor.rowcount:,} case events ({BIG_TENANT})")
    for sql in restore:
        cursor.execute(sql)
    step(f"restored {len(restore)} indexes and foreign keys")


def bench_data_generate(*, log: Callable[[str], None], big_cases: int = BIG_CASES) -> list[Slot]:
    """Load the bench data unless it is already there; return the bench tenants.

    Refuses to run on a database whose name does not say `bench`: it adds two million cases.
    """
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise BenchDataError(
            f"Database {name!r} is not a bench database: use DATABASE_URL=postgres:///casetracker_bench"
        )
    slots = bench_setup(big_cases=big_cases)
    expected = {slot.tenant.pk: slot.cases for slot in slots}
    present = _case_counts(slots)
    if present == expected:
        log(f"Bench data already loaded in {name}: {sum(present.values()):,} bench cases.")
        return slots
    if any(present.values()):
        raise BenchDataError(
            f"The bench tenants hold {sum(present.values()):,} cases, not {sum(expected.values()):,}: "
            f"drop the database (dropdb {name}) and run again."
        )
    started = time.monotonic()

    def step(what: str) -> None:
        log(f"  {time.monotonic() - started:6.1f} s  {what}")

    log(f"Loading bench data into {name} (one transaction)...")
    with across_tenants(reason="benchdata: loading"), transaction.atomic(), connection.cursor() as cursor:
        _load(cursor, slots, step)
    with connection.cursor() as cursor:
        for table in (*LOADED_TABLES, "cases_casetotals", "cases_monthlyrecovery", "cases_dailyrecovery",
                      "cases_producttotals"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    step("vacuum analyze")
    bench_rollups_verify(slots=slots)
    step("rollups verified against a recomputation")
    return slots


def bench_rollups_verify(*, slots: list[Slot]) -> None:
    differences = [d for slot in slots for d in rollup_differences(tenant_id=slot.tenant.pk)]
    if differences:
        shown = "\n".join(str(d) for d in differences[:10])
        raise BenchDataError(f"{len(differences)} rollup buckets differ from the recomputation:\n{shown}")


def bench_case_id(*, slot: int, n: int) -> str:
    """The Amazon case ID of the n-th case (from 1) of the bench tenant at position `slot` (bench-big is 0)."""
    return str(CASE_ID_BASE + slot * CASE_ID_STRIDE + n)


REPORT_CASES_SQL = """
SELECT marketplace_case_id, order_id, reimbursement_type, sku, fnsku, asin, product_title, currency,
    units_claimed, claimed_amount, units_reimbursed_cash, recovered_amount, id
FROM cases_case WHERE seller_account_id = %(account)s AND status = ANY(%(statuses)s) {extra}
ORDER BY {order} LIMIT %(limit)s
"""
REPORT_ORDERS = {
    "recent": "date_filed DESC, id DESC",
    "random": "hashint8extended(id, 7)",
}
"""How the report's cases are drawn: the most recently filed (what a report answers: Amazon pays
weeks after filing), or anywhere over the three years (every case on its own heap page)."""

def _answer(case: tuple, number: int, approved: str) -> dict[str, object]:
    """A report line that pays all of the claim (cash or inventory) or part of it."""
    case_id, order_id, rtype, sku, fnsku, asin, title, currency, units, claimed, *_ = case
    kind = number % 4
    per_unit = quantize(claimed / units) if units else claimed
    cash, inventory = units or 0, 0
    if kind == 2:
        cash = (units or 0) // 2
    elif kind == 3 and units:
        cash, inventory = 0, units
    if cash or inventory:
        total = per_unit * cash
    else:
        total = per_unit = quantize(claimed / 2) if kind == 2 else claimed
    return {
        "approval-date": approved, "reimbursement-id": f"4{number:011d}", "case-id": case_id,
        "amazon-order-id": order_id, "reason": AMAZON_REASONS[rtype], "sku": sku, "fnsku": fnsku, "asin": asin,
        "product-name": title, "condition": "NewItem", "currency-unit": currency, "amount-per-unit": per_unit,
        "amount-total": total, "quantity-reimbursed-cash": cash, "quantity-reimbursed-inventory": inventory,
        "quantity-reimbursed-total": cash + inventory,
    }


def _reversal(case: tuple, number: int, approved: str) -> dict[str, object]:
    """Amazon takes back one unit of a fully reimbursed case (found in the warehouse)."""
    case_id, order_id, rtype, sku, fnsku, asin, title, currency, _, _, cash, recovered, pk = case
    per_unit = quantize(recovered / cash)
    return {
        "approval-date": approved, "reimbursement-id": f"5{number:011d}", "case-id": case_id,
        "amazon-order-id": order_id, "reason": "Reimbursement_Reversal", "sku": sku, "fnsku": fnsku,
        "asin": asin, "product-name": title, "condition": "NewItem", "currency-unit": currency,
        "amount-per-unit": per_unit, "amount-total": -per_unit, "quantity-reimbursed-cash": -1,
        "quantity-reimbursed-inventory": 0, "quantity-reimbursed-total": -1,
        "original-reimbursement-id": "2" + str(pk * 2 + 1).rjust(11, "0"),
        "original-reimbursement-type": AMAZON_REASONS[rtype],
    }


def _automatic(number: int, approved: str, currency: str) -> dict[str, object]:
    amount = Decimal(4 + number % 80) + Decimal("0.99")
    return {
        "approval-date": approved, "reimbursement-id": f"6{number:011d}", "reason": "Lost_Warehouse",
        "sku": f"SKU-{number % 5000:05d}", "product-name": f"Bench product {number % 5000}", "condition": "NewItem",
        "currency-unit": currency, "amount-per-unit": amount, "amount-total": amount,
        "quantity-reimbursed-cash": 1, "quantity-reimbursed-inventory": 0, "quantity-reimbursed-total": 1,
    }


def _report_cases(cursor, account: SellerAccount, *, statuses: list[str], limit: int, spread: str,
                  extra: str = "") -> list[tuple]:
    cursor.execute(REPORT_CASES_SQL.format(extra=extra, order=REPORT_ORDERS[spread]),
                   {"account": account.pk, "statuses": statuses, "limit": limit})
    return cursor.fetchall()


def bench_report_write(*, path, slot: Slot, rows: int, spread: str = "recent") -> str:
    """Write an Amazon reimbursements report for the first seller account of `slot`; return its mix.

    Of every 200 lines, 10 are automatic reimbursements (no case ID), 2 reverse a unit of a Fully
    Reimbursed case, 1 names a case ID the tracker does not know, and 187 pay Open or Partially
    Reimbursed cases (in full, in part, or in inventory). `spread` (see `REPORT_ORDERS`) picks
    which cases.
    """
    account, spec = slot.accounts[0]
    kinds = [_line_kind(number) for number in range(rows)]
    answers, reversals = kinds.count("answer"), kinds.count("reversal")
    with scope(tenant=account.tenant_id), connection.cursor() as cursor:
        open_cases = _report_cases(cursor, account, statuses=["open", "partially_reimbursed"], limit=answers,
                                   spread=spread)
        paid_cases = _report_cases(cursor, account, statuses=["fully_reimbursed"], limit=reversals, spread=spread,
                                   extra="AND units_reimbursed_cash > 0")
    if len(open_cases) < answers or len(paid_cases) < reversals:
        raise BenchDataError(f"{account} has too few Open or Fully Reimbursed cases for a {rows:,}-row report")
    today = dt.date.today()
    open_iter, paid_iter = iter(open_cases), iter(paid_cases)
    with open(path, "w", encoding="utf-8") as report:
        report.write(report_header() + "\n")
        for number, kind in enumerate(kinds):
            approved = f"{today - dt.timedelta(days=5 + number % 30)}T{number % 24:02d}:17:03+00:00"
            if kind == "reversal":
                line = _reversal(next(paid_iter), number, approved)
            elif kind == "automatic":
                line = _automatic(number, approved, spec.currency)
            elif kind == "unknown":
                line = _answer(open_cases[0], number, approved) | {"case-id": f"1999{number:06d}"}
            else:
                line = _answer(next(open_iter), number, approved)
            report.write(report_line(line) + "\n")
    oldest = min(case[-1] for case in open_cases)
    return (f"{answers:,} paying Open or Partially Reimbursed cases ({spread}, lowest case pk {oldest:,}), "
            f"{kinds.count('automatic'):,} automatic, {reversals:,} reversals, "
            f"{kinds.count('unknown'):,} with an unknown case ID")


def _line_kind(number: int) -> str:
    k = number % 200
    if k < 10:
        return "automatic"
    if k < 12:
        return "reversal"
    return "unknown" if k == 12 else "answer"
