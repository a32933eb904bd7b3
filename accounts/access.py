"""The one place that resolves the tenant of a seller request and checks membership."""

from contextlib import contextmanager, nullcontext
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import Http404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django_scopes import scope

from monitoring.logs import log_context

from .models import Membership, StaffView, Team, Tenant
from .rls import across_tenants

STAFF_VIEW_PERMISSION = "cases.view_case"


def staff_may_view(request, *, tenant: Tenant) -> bool:
    """Whether this staff member may open the tenant's seller pages read-only ("view as seller").

    The one check of which staff see which tenant's seller pages: active staff, past the second factor,
    allowed to view cases, and working on the tenant (a superuser on every tenant, `staff_tenant_ids`).
    """
    user = request.user
    verified = getattr(user, "is_verified", lambda: False)()
    if not (user.is_active and user.is_staff and verified and user.has_perm(STAFF_VIEW_PERMISSION)):
        return False
    return user.is_superuser or tenant.pk in staff_tenant_ids(user)


def staff_view_log(*, user, tenant: Tenant, path: str) -> StaffView:
    """The audit row of one seller page a staff member opened."""
    return StaffView.objects.create(user=user, tenant=tenant, path=path[:500])


def tenant_view(view):
    """Seller page of the tenant named in the URL: members only, read-only, inside the tenant's scope.

    A non-member gets 404, exactly like a tenant that does not exist; staff allowed by `staff_may_view`
    see the page as a member does, each opening logged (`StaffView`), and `request.viewing_as_staff` set
    for the page to say so. Writes are refused with 405, for everyone.
    The membership is read, and the view runs, inside the tenant's scope, which row-level security
    follows (accounts/rls.py), in one transaction (unless the caller has one already): the database
    is told the tenant once per page.
    The answer, pages and CSV export alike, is `Cache-Control: private, no-store`: a shared or
    back-button cache never keeps a tenant's cases.
    The view is called as `view(request, tenant, ...)` and must render eagerly (no lazy
    TemplateResponse), so that every query it makes runs inside the scope.
    """

    @login_required
    @require_safe
    @wraps(view)
    def wrapper(request, tenant_slug, *args, **kwargs):
        tenant = Tenant.objects.filter(slug=tenant_slug).first()
        if tenant is None:
            raise Http404("No such page")
        one_transaction = transaction.atomic() if connection.get_autocommit() else nullcontext()
        with scope(tenant=tenant), one_transaction, log_context(tenant_id=tenant.pk):
            member = Membership.objects.filter(user=request.user, tenant=tenant).exists()
            if not member and not staff_may_view(request, tenant=tenant):
                raise Http404("No such page")
            request.viewing_as_staff = not member
            if request.viewing_as_staff:
                staff_view_log(user=request.user, tenant=tenant, path=request.get_full_path())
            response = view(request, tenant, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper


def staff_tenant_ids(user) -> list[int]:
    """The tenants a staff member works on: those of the teams they belong to."""
    with across_tenants(reason=f"staff admin: the tenants of {user.get_username()}'s teams"):
        return sorted(set(Team.tenants.through.objects.filter(team__members=user).values_list("tenant_id", flat=True)))


@contextmanager
def staff_scope(user):
    """Admin for a staff member: a superuser works across every tenant (logged), anyone else on their
    teams' tenants only, in the application (django-scopes) and in the database (row-level security):
    every list, search, form choice, upload and action of admin sees no other tenant's rows."""
    if user.is_superuser:
        with across_tenants(reason=f"superuser admin: {user.get_username()}"):
            yield
        return
    with scope(tenant=staff_tenant_ids(user)):
        yield
