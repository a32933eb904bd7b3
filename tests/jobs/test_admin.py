"""Operators see set-aside messages in admin, and nobody adds, changes or deletes them there."""

from django.urls import reverse
from django.utils import timezone

from jobs.models import SetAsideTask
from tests.two_factor import login_verified


def set_aside() -> SetAsideTask:
    return SetAsideTask.objects.create(
        task_id="6a1f0c2e", task_name="sync.tasks.poll_account", args=[42, "poll"], first_seen=timezone.now(),
        deliveries=4, last_error="Its worker was lost (killed or crashed) in each of the 3 runs",
    )


def test_staff_see_a_set_aside_message_with_its_arguments_and_deliveries(client, staff_user):
    task = set_aside()
    login_verified(client, staff_user)

    listing = client.get(reverse("admin:jobs_setasidetask_changelist"))
    detail = client.get(reverse("admin:jobs_setasidetask_change", args=[task.pk]))

    assert listing.status_code == detail.status_code == 200
    assert "sync.tasks.poll_account" in listing.content.decode()
    assert "[42, &quot;poll&quot;]" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()


def test_set_aside_messages_cannot_be_added_or_deleted_in_admin(client, staff_user):
    task = set_aside()
    login_verified(client, staff_user)

    assert client.get(reverse("admin:jobs_setasidetask_add")).status_code == 403
    assert client.get(reverse("admin:jobs_setasidetask_delete", args=[task.pk])).status_code == 403
