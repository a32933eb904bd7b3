"""Which tenants a member of the reimbursement team works on, for the staff pages that list tenants' data."""

from django.db.models import QuerySet

from .access import staff_tenant_ids
from .models import Tenant


def staff_tenants(*, user) -> QuerySet[Tenant]:
    """The tenants `user` may see on staff pages: every tenant for a superuser; for other staff, those of
    the teams they belong to (`staff_tenant_ids`, which admin's scope follows too); none for anyone else."""
    if user.is_active and user.is_superuser:
        return Tenant.objects.all()
    if user.is_active and user.is_staff:
        return Tenant.objects.filter(pk__in=staff_tenant_ids(user))
    return Tenant.objects.none()
