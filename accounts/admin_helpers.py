"""Admin pieces shared by the apps whose models staff browse across tenants."""

from django.contrib import admin
from django.template.response import TemplateResponse

from .models import SellerAccount

TENANT_FILTER = ("tenant", admin.RelatedOnlyFieldListFilter)
"""The tenant filter of an admin list: only the tenants of the rows the staff member may see."""


class ReadOnlyAdminMixin:
    """Facts and history: staff look, nobody adds, changes or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def account_choice_label(account: SellerAccount) -> str:
    """A seller account in a staff choice list, named with its tenant: staff work across tenants."""
    return f"{account.tenant.name} · {account.label}"


def admin_form_page(model_admin, request, template: str, *, title: str, form, submit_label: str,
                    **extra) -> TemplateResponse:
    """A staff form page of our own inside admin (status change, void, upload, credentials): admin's frame
    and the model's breadcrumbs around one form; `extra` (`original`, `change_url`, ...) goes to the template."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "form": form,
        "submit_label": submit_label,
        "has_view_permission": True,
        **extra,
    }
    return TemplateResponse(request, template, context)
