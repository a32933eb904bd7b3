from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.overall_cases, name="overall"),
    path("cases/export.csv", views.export_cases, name="export"),
    path("reimbursed/", views.reimbursed_cases, name="reimbursed"),
    path("reimbursed/export.csv", views.export_reimbursed_cases, name="reimbursed_export"),
    path("cases/<int:case_pk>/", views.case_detail, name="detail"),
]
