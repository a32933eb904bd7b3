"""The one place that resolves the tenant of a seller request and checks membership."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django_scopes import scope

from monitoring.logs import log_context

from .models import Membership, StaffView, Tenant


STAFF_VIEW_PERMISSION = "cases.view_case"


def staff_viewable_tenant(request, *, tenant_slug: str) -> Tenant | None:
    """The tenant whose seller pages this staff member may open read-only ("view as seller"), or None.

    The one check of which staff see which tenant's seller pages: active staff, past the second factor,
    allowed to view cases. A rule restricting staff to some tenants belongs here.
    """
    user = request.user
    verified = getattr(user, "is_verified", lambda: False)()
    if not (user.is_active and user.is_staff and verified and user.has_perm(STAFF_VIEW_PERMISSION)):
        return None
    return Tenant.objects.filter(slug=tenant_slug).first()


def staff_view_log(*, user, tenant: Tenant, path: str) -> StaffView:
    """The audit row of one seller page a staff member opened."""
    return StaffView.objects.create(user=user, tenant=tenant, path=path[:500])


def tenant_view(view):
    """Seller page of the tenant named in the URL: members only, read-only, inside the tenant's scope.

    A non-member gets 404, exactly like a tenant that does not exist; staff allowed by
    `staff_viewable_tenant` see the page as a member does, each opening logged (`StaffView`), and
    `request.viewing_as_staff` set for the page to say so. Writes are refused with 405, for everyone.
    The answer, pages and CSV export alike, is `Cache-Control: private, no-store`: a shared or
    back-button cache never keeps a tenant's cases.
    The view is called as `view(request, tenant, ...)` and must render eagerly (no lazy
    TemplateResponse), so that every query it makes runs inside the scope.
    """

    @login_required
    @require_safe
    @wraps(view)
    def wrapper(request, tenant_slug, *args, **kwargs):
        membership = (
            Membership.objects.select_related("tenant")
            .filter(user=request.user, tenant__slug=tenant_slug)
            .first()
        )
        tenant = membership.tenant if membership else staff_viewable_tenant(request, tenant_slug=tenant_slug)
        if tenant is None:
            raise Http404("No such page")
        request.viewing_as_staff = membership is None
        if request.viewing_as_staff:
            staff_view_log(user=request.user, tenant=tenant, path=request.get_full_path())
        with scope(tenant=tenant), log_context(tenant_id=tenant.pk):
            response = view(request, tenant, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper
