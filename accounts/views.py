from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from .models import Membership


@login_required
@require_safe
def home(request):
    """Send a seller to their tenant; list the tenants when there are several."""
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("tenant").order_by("tenant__name")
    )
    if len(memberships) == 1:
        return redirect("cases:overall", tenant_slug=memberships[0].tenant.slug)
    if not memberships and request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/home.html", {"memberships": memberships})
