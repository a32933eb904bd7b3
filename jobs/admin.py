from django.contrib import admin

from accounts.admin_helpers import ReadOnlyAdminMixin
from jobs.models import SetAsideTask

FIELDS = ["task_name", "args", "kwargs", "first_seen", "set_aside_at", "deliveries", "last_error", "task_id"]


@admin.register(SetAsideTask)
class SetAsideTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Poison messages, read-only: what was set aside, with what arguments, after how many deliveries."""

    list_display = ["set_aside_at", "task_name", "args", "deliveries", "first_seen", "last_error"]
    list_filter = ["task_name"]
    search_fields = ["task_id", "task_name"]
    fields = FIELDS
    readonly_fields = FIELDS

