"""The product's URLs plus the bench's bare page; `manage.py bench` measures with this URLconf only."""

from django.urls import include, path

from .bare import bare_cases

urlpatterns = [
    path("bench/bare/<slug:tenant_slug>/", bare_cases, name="bench_bare"),
    path("", include("casetracker.urls")),
]
