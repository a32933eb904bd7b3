"""Which tenants a member of the reimbursement team works on, for the staff pages that list tenants' data."""

from django.db.models import QuerySet

from .models import Tenant


def staff_tenants(*, user) -> QuerySet[Tenant]:
    """The tenants `user` may see on staff pages: every tenant for a superuser; for other staff, the
    tenants they work on, which today is every tenant (staff reach every tenant in admin); none for
    anyone else. The one place to narrow when staff are limited to their teams' tenants."""
    if user.is_active and user.is_superuser:
        return Tenant.objects.all()
    if user.is_active and user.is_staff:
        return Tenant.objects.all()
    return Tenant.objects.none()
