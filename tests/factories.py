"""Builders for test data. Creating objects is allowed outside a tenant scope; reading is not.

Each builder writes in the scope of the tenant it builds for, as the application does, so that
row-level security accepts the rows even when the test has entered another tenant's scope."""

import datetime as dt
import itertools
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scope

from accounts.models import Marketplace, Membership, Region, SellerAccount, Team, Tenant
from accounts.rls import across_tenants
from cases.models import Case, EventSource, ReimbursementRecord, ReimbursementType
from cases.services import case_create, records_match

_seq = itertools.count(1)
PASSWORD = "test-password-123"


def make_tenant(name: str) -> Tenant:
    return Tenant.objects.create(name=name, slug=name.lower().replace(" ", "-"))


def make_user(username: str, tenant: Tenant | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if tenant is not None:
        with scope(tenant=tenant):
            Membership.objects.create(user=user, tenant=tenant)
    return user


def make_team(name: str, *, members, tenants) -> Team:
    """Staff working on `tenants`, as a superuser sets them up in admin."""
    with across_tenants(reason="test: a superuser's work in admin"):
        team = Team.objects.create(name=name)
        team.members.add(*members)
        team.tenants.add(*tenants)
    return team


def make_seller_account(tenant: Tenant, external_id: str | None = None, **extra) -> SellerAccount:
    fields = {
        "marketplace": Marketplace.AMAZON,
        "region": Region.NA,
        "external_id": external_id or f"A{next(_seq):012d}",
        "marketplace_ids": ["ATVPDKIKX0DER"],
        "connected": True,
        "service_initiated_on": dt.date(2026, 1, 5),
        **extra,
    }
    with scope(tenant=tenant):
        return SellerAccount.objects.create(tenant=tenant, **fields)


def make_case(seller_account: SellerAccount, actor=None, **extra) -> Case:
    fields = {
        "marketplace_case_id": f"{next(_seq):010d}",
        "reimbursement_type": ReimbursementType.LOST_WAREHOUSE,
        "sku": "SKU-1",
        "asin": "B000000001",
        "fnsku": "X000000001",
        "product_title": "Blue widget",
        "units_claimed": 2,
        "claimed_amount": Decimal("40.00"),
        "currency": "USD",
        "date_filed": timezone.localdate() - dt.timedelta(days=10),
        **extra,
    }
    with scope(tenant=seller_account.tenant_id):
        return case_create(case=Case(seller_account=seller_account, **fields), actor=actor)


def add_record(case_or_account, amount, *, cash=1, inventory=0, currency="USD", case_reference=None,
               on: dt.date | dt.datetime = dt.date(2026, 11, 2)) -> ReimbursementRecord:
    """A line of a marketplace report for a case (or, with an account, an automatic one), matched the
    way the sync matches it. A date means 10:00 UTC that day."""
    reference = case_reference if case_reference is not None else getattr(case_or_account, "marketplace_case_id", "")
    approved = on if isinstance(on, dt.datetime) else dt.datetime(on.year, on.month, on.day, 10, tzinfo=dt.UTC)
    with scope(tenant=case_or_account.tenant_id):
        account = getattr(case_or_account, "seller_account", case_or_account)
        return _add_record(account, reference, approved, amount, cash=cash, inventory=inventory, currency=currency)


def _add_record(account, reference, approved, amount, *, cash, inventory, currency) -> ReimbursementRecord:
    record = ReimbursementRecord.objects.create(
        tenant_id=account.tenant_id, seller_account=account, case_reference=reference, approval_date=approved,
        reimbursement_id=f"R{uuid.uuid4().hex[:8]}", reason="Lost_Warehouse", currency=currency,
        amount_per_unit=Decimal(amount), amount_total=Decimal(amount), quantity_cash=cash,
        quantity_inventory=inventory, fingerprint=uuid.uuid4(), source="test",
    )
    records_match(seller_account_id=account.pk, record_ids=[record.pk], source=EventSource.SYNC, reason="test report")
    return record
