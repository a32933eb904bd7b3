"""The operations page in admin: is every account syncing, what fails and why, are the queues and the
scheduler and workers alive, what was set aside. Wrapped in `admin.site.admin_view` (staff only, with
their second factor) in casetracker/urls.py."""

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse

from accounts.staff import staff_tenants
from sync.operations import operations_overview


def operations_page(request) -> TemplateResponse:
    overview = operations_overview(tenants=staff_tenants(user=request.user))
    context = {
        **admin.site.each_context(request),
        "title": "Operations",
        "overview": overview,
        "beat_max_age": settings.READYZ_BEAT_MAX_AGE,
        "worker_max_age": settings.READYZ_WORKER_MAX_AGE,
    }
    return TemplateResponse(request, "admin/operations.html", context)
