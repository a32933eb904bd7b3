"""The one place that resolves the tenant of a seller request and checks membership."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django_scopes import scope

from monitoring.logs import log_context

from .models import Membership


def tenant_view(view):
    """Seller page of the tenant named in the URL: members only, read-only, inside the tenant's scope.

    A non-member gets 404, exactly like a tenant that does not exist. Writes are refused with 405.
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
        if membership is None:
            raise Http404("No such page")
        with scope(tenant=membership.tenant), log_context(tenant_id=membership.tenant_id):
            response = view(request, membership.tenant, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper
