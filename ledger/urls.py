from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.identified, name="identified"),
    path("export.csv", views.export_identified, name="export"),
]
