from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.auth_urls")),
    path("", include("accounts.urls")),
    path("t/<slug:tenant_slug>/", include("cases.urls")),
    path("t/<slug:tenant_slug>/dashboard/", include("dashboard.urls")),
    path("t/<slug:tenant_slug>/identified/", include("ledger.urls")),
]

handler500 = "casetracker.views.server_error"
