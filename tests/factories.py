"""Builders for test data. Creating objects is allowed outside a tenant scope; reading is not."""

import datetime as dt
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Marketplace, Membership, Region, SellerAccount, Tenant
from cases.models import Case, ReimbursementType
from cases.services import case_create

_seq = itertools.count(1)
PASSWORD = "test-password-123"


def make_tenant(name: str) -> Tenant:
    return Tenant.objects.create(name=name, slug=name.lower().replace(" ", "-"))


def make_user(username: str, tenant: Tenant | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if tenant is not None:
        Membership.objects.create(user=user, tenant=tenant)
    return user


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
    return case_create(case=Case(seller_account=seller_account, **fields), actor=actor)
