from django.contrib import admin
from django.urls import include, path

from sync.operations_admin import operations_page

urlpatterns = [
    path("admin/operations/", admin.site.admin_view(operations_page), name="admin_operations"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
    path("t/<slug:tenant_slug>/", include("cases.urls")),
    path("t/<slug:tenant_slug>/dashboard/", include("dashboard.urls")),
    path("t/<slug:tenant_slug>/identified/", include("ledger.urls")),
]

handler500 = "casetracker.views.server_error"
