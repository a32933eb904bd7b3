from django.contrib.admin.apps import AdminConfig


class OTPAdminConfig(AdminConfig):
    """Django admin whose default site asks staff for a second factor (accounts.admin_site)."""

    default_site = "accounts.admin_site.OTPRequiredAdminSite"
