from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django_scopes import scope

from .forms import UserSettingsForm
from .models import Membership, Profile
from .rls import across_tenants
from .services import user_settings_update
from .timezones import TIME_ZONE_SESSION_KEY


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


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def user_settings(request):
    """The user's own email address, time zone and daily digests. Never another user's, never a tenant's data.

    Runs in the scope of the user's own tenants, so that their memberships (tenant rows, behind
    row-level security) can be read and their digests changed, and nothing else."""
    with across_tenants(reason=f"settings: the tenants of {request.user.get_username()}"):
        tenant_ids = list(Membership.objects.filter(user=request.user).values_list("tenant_id", flat=True))
    with scope(tenant=tenant_ids):
        memberships = list(
            Membership.objects.filter(user=request.user).select_related("tenant").order_by("tenant__name")
        )
        profile = Profile.objects.filter(user=request.user).first()
        initial = {"email": request.user.email, "time_zone": profile.time_zone if profile else "UTC"}
        form = UserSettingsForm(request.POST or None, initial=initial, user=request.user, memberships=memberships)
        if request.method == "POST" and form.is_valid():
            user_settings_update(user=request.user, email=form.cleaned_data["email"],
                                 time_zone=form.cleaned_data["time_zone"], digests=form.digests())
            request.session[TIME_ZONE_SESSION_KEY] = form.cleaned_data["time_zone"]
            messages.success(request, "Your settings are saved.")
            return redirect("settings")
        return render(request, "accounts/settings.html", {"form": form})
