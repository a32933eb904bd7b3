"""The operations page in admin: accounts by sync state across tenants, failures by cause, queues,
heartbeats and set-aside messages; staff only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Marketplace, Tenant
from jobs.models import SetAsideTask
from monitoring.heartbeats import heartbeat_beat_record, heartbeat_worker_record
from sync.operations import operations_overview
from tests import factories

THROTTLED = "Amazon throttled the report request (QuotaExceeded)\nretry after 60 s"


@pytest.fixture
def fleet(acme, globex, across_tenants):
    """Accounts of two tenants in every sync state (scopes off: they are made for staff, who see every tenant)."""
    now = timezone.now()
    make = factories.make_seller_account
    return {
        "healthy": [make(acme, last_synced_at=now), make(globex, last_synced_at=now - dt.timedelta(hours=1))],
        "overdue": [make(acme, last_synced_at=now - dt.timedelta(hours=9))],
        "failing": [
            make(acme, last_sync_failed_at=now, last_sync_error=THROTTLED),
            make(globex, last_synced_at=now - dt.timedelta(hours=2), last_sync_failed_at=now,
                 last_sync_error=THROTTLED),
            make(globex, last_sync_failed_at=now, last_sync_error="The report had no header line"),
        ],
        "needs_reconnect": [make(acme, needs_reconnect=True)],
        "not_connected": [make(globex, connected=False), make(acme, service_initiated_on=None)],
        "not_polled": [make(acme, sync_backend="manual"),
                       make(acme, "10001234", marketplace=Marketplace.WALMART, region="")],
    }


def test_the_operations_page_counts_match_the_accounts_states(staff_client, fleet, own_redis):
    response = staff_client.get(reverse("admin_operations"))

    assert response.status_code == 200
    assert response.context["overview"].counts == {state: len(accounts) for state, accounts in fleet.items()}
    page = response.content.decode()
    for state, accounts in fleet.items():
        assert f'<td data-state="{state}">{len(accounts)}</td>' in page


def test_the_operations_page_lists_each_account_under_its_state_with_a_link_to_its_runs(
        staff_client, fleet, own_redis):
    overview = staff_client.get(reverse("admin_operations")).context["overview"]

    listed = {group.state: {account.pk for account in group.accounts} for group in overview.states}
    assert listed == {state: {account.pk for account in accounts} for state, accounts in fleet.items()}
    runs = f'{reverse("admin:sync_syncrun_changelist")}?seller_account__id__exact={fleet["failing"][0].pk}'
    assert runs in staff_client.get(reverse("admin_operations")).content.decode()


def test_failing_accounts_are_grouped_by_the_first_line_of_their_error(staff_client, fleet, own_redis):
    overview = staff_client.get(reverse("admin_operations")).context["overview"]

    causes = [(group.cause, {account.pk for account in group.accounts}) for group in overview.failing_by_cause]
    assert causes == [
        ("Amazon throttled the report request (QuotaExceeded)", {fleet["failing"][0].pk, fleet["failing"][1].pk}),
        ("The report had no header line", {fleet["failing"][2].pk}),
    ]


def test_the_operations_page_shows_queue_depth_heartbeats_and_set_aside_messages(staff_client, db, own_redis):
    own_redis.client().rpush("polls", "one", "two", "three")
    heartbeat_beat_record()
    heartbeat_worker_record(hostname="polls@web-1")
    SetAsideTask.objects.create(task_id="6a1f", task_name="sync.tasks.poll_account", args=[42, "poll"],
                                first_seen=timezone.now(), deliveries=4, last_error="worker lost")

    response = staff_client.get(reverse("admin_operations"))

    overview = response.context["overview"]
    assert overview.queue_depths["polls"] == 3 and overview.queue_depths["schedule"] == 0
    assert overview.beat_age is not None and overview.beat_age < 60
    assert set(overview.worker_ages) == {"polls@web-1"}
    assert overview.set_aside_count == 1
    page = response.content.decode()
    assert "polls@web-1" in page and "sync.tasks.poll_account" in page and "3 waiting" in page


def test_the_operations_page_still_shows_the_accounts_when_redis_is_down(staff_client, fleet, own_redis):
    own_redis.stop()

    response = staff_client.get(reverse("admin_operations"))

    assert response.status_code == 200
    assert response.context["overview"].counts["failing"] == 3
    assert "Heartbeats unknown: Redis did not answer" in response.content.decode()


def test_a_seller_cannot_reach_the_operations_page(alice_client):
    response = alice_client.get(reverse("admin_operations"), follow=True)

    assert response.redirect_chain[0][0].startswith("/admin/login/")
    assert "Operations" not in response.content.decode()


def test_the_admin_index_and_every_admin_page_link_to_the_operations_page(staff_client):
    url = reverse("admin_operations")

    assert f'href="{url}"' in staff_client.get(reverse("admin:index")).content.decode()
    assert f'href="{url}"' in staff_client.get(reverse("admin:jobs_setasidetask_changelist")).content.decode()


def test_the_overview_counts_only_the_tenants_it_is_given(fleet, acme, own_redis):
    overview = operations_overview(tenants=Tenant.objects.filter(pk=acme.pk))

    shown = {account.tenant_id for group in overview.states for account in group.accounts}
    assert shown == {acme.pk}
    assert overview.counts == {
        state: sum(account.tenant_id == acme.pk for account in accounts) for state, accounts in fleet.items()
    }

