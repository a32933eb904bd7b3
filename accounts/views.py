from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from .models import Membership
from .rls import across_tenants


@login_required
@require_safe
def home(request):
    """Send a seller to their tenant; list the tenants when there are several."""
    with across_tenants(reason=f"home: the tenants of {request.user.get_username()}"):
        memberships = list(
            Membership.objects.filter(user=request.user).select_related("tenant").order_by("tenant__name")
        )
    if len(memberships) == 1:
        return redirect("cases:overall", tenant_slug=memberships[0].tenant.slug)
    if not memberships and request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/home.html", {"memberships": memberships})
