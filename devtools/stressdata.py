"""Load-test data: many small tenants, each with one seller (a user), one sandbox-polled Amazon account
and a few thousand open cases, in a database of its own.

Cases are inserted in SQL, a tenant at a time; every value is derived from the tenant's and the
case's numbers, so two loads give the same data, and a second run adds only what is missing. The
cases are open and unpaid: the worker's polls of the sandbox pay them during the load test, as the
marketplace would. The rollup and search-key triggers fill their tables as the cases go in.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Marketplace, Membership, Region, SellerAccount, SyncBackend, Tenant
from accounts.rls import across_tenants
from cases.models import Case

SLUG = "stress-{number:02d}"
"""The tenant's slug and its seller's username."""
EXTERNAL_ID = "A1STRESS{number:05d}"
TYPES = ("lost_warehouse", "damaged_warehouse", "lost_inbound", "customer_return")

CASES_SQL = f"""
INSERT INTO cases_case (
    tenant_id, seller_account_id, marketplace_case_id, reimbursement_type, status, asin, sku, fnsku,
    product_title, order_id, shipment_id, removal_order_id, units_claimed, claimed_amount, currency,
    recovered_amount, units_reimbursed_cash, units_reimbursed_inventory, last_reimbursed_on, date_filed,
    claim_deadline, closed_on, seller_note, internal_note, created_at, updated_at, last_event_on
)
SELECT %(tenant_id)s, %(account_id)s, %(prefix)s || lpad(k::text, 7, '0'),
    (ARRAY{list(TYPES)})[1 + mod(k, {len(TYPES)})], 'open',
    'B0STR' || lpad(mod(k * 7, 400)::text, 5, '0'), 'STRESS-SKU-' || mod(k * 7, 400),
    'X0STR' || lpad(mod(k * 7, 400)::text, 5, '0'), 'Stress product ' || mod(k * 7, 400),
    CASE WHEN mod(k, 4) = 3 THEN '111-' || lpad(k::text, 7, '0') || '-' || lpad(%(number)s::text, 7, '0')
         ELSE '' END,
    '', '', 1 + mod(k, 4), (1 + mod(k, 4)) * round((4 + mod(k * 37, 9000) / 100.0)::numeric, 2), 'USD',
    0, 0, 0, NULL, d.filed, d.filed + 60, NULL, '', '', d.filed + time '09:00', d.filed + time '09:00',
    d.filed
FROM generate_series(%(first)s::int, %(last)s::int) AS k
CROSS JOIN LATERAL (SELECT current_date - 5 - mod(k * 13, 540) AS filed) AS d
"""

EVENTS_SQL = """
INSERT INTO cases_caseevent (tenant_id, case_id, from_status, to_status, source, actor_id, reason, record_id,
    created_at, happened_on)
SELECT c.tenant_id, c.id, '', 'open', 'staff', NULL, 'Case filed', NULL, c.created_at, c.date_filed
FROM cases_case c
WHERE c.tenant_id = %(tenant_id)s AND NOT EXISTS (SELECT FROM cases_caseevent e WHERE e.case_id = c.id)
"""


class StressDataError(Exception):
    pass


@dataclass(frozen=True)
class StressTenant:
    number: int
    tenant: Tenant
    account: SellerAccount
    added: int


def _tenant(number: int, *, password: str) -> tuple[Tenant, SellerAccount]:
    slug = SLUG.format(number=number)
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": f"Stress Seller {number:02d}"})
    account, _ = SellerAccount.objects.get_or_create(
        marketplace=Marketplace.AMAZON, external_id=EXTERNAL_ID.format(number=number),
        defaults={
            "tenant": tenant, "region": Region.NA, "name": f"Stress Seller {number:02d} US",
            "marketplace_ids": ["ATVPDKIKX0DER"], "connected": True,
            "service_initiated_on": dt.date(2025, 1, 6), "sync_backend": SyncBackend.SANDBOX,
        },
    )
    if account.tenant_id != tenant.pk:
        raise StressDataError(f"Seller account {account.external_id} belongs to another tenant")
    user, created = get_user_model().objects.get_or_create(username=slug)
    if created or not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(user=user, tenant=tenant)
    return tenant, account


def stress_data_generate(
    *, tenants: int, cases: int, password: str, log: Callable[[str], None]
) -> list[StressTenant]:
    """Make `tenants` stress tenants hold `cases` cases each, adding what is missing.

    Refuses to run on a database whose name does not say `stress`: it is meant for a database of its own.
    """
    name = connection.settings_dict["NAME"]
    if "stress" not in name:
        raise StressDataError(
            f"Database {name!r} is not a stress database: use DATABASE_URL=postgres:///casetracker_stress"
        )
    made = []
    with across_tenants(reason="stressdata: development data"):
        for number in range(1, tenants + 1):
            with transaction.atomic(), connection.cursor() as cursor:
                tenant, account = _tenant(number, password=password)
                present = Case.objects.filter(tenant=tenant).count()
                if present < cases:
                    cursor.execute(CASES_SQL, {
                        "tenant_id": tenant.pk, "account_id": account.pk, "number": number,
                        "prefix": f"{number:03d}", "first": present + 1, "last": cases,
                    })
                    cursor.execute(EVENTS_SQL, {"tenant_id": tenant.pk})
            made.append(StressTenant(number, tenant, account, max(0, cases - present)))
    log(f"{tenants} stress tenants in {name}, {cases:,} cases each; "
        f"{sum(t.added for t in made):,} cases added now.")
    return made


def stress_polls_spread(*, accounts: list[SellerAccount], over: dt.timedelta) -> None:
    """Make each account's next poll due at an even step within `over` from now, and its first one
    again (a full look-back), so that the worker keeps polling during the whole load test."""
    now = timezone.now()
    step = over / max(1, len(accounts))
    with across_tenants(reason="stressdata: development data"):
        for index, account in enumerate(accounts):
            SellerAccount.objects.filter(pk=account.pk).update(last_synced_at=None, next_sync_at=now + step * index)
