"""The outbox of polls against a real Redis: a broker that is down loses no claimed poll."""

import base64
import datetime as dt
import json

import pytest
import redis
from django.utils import timezone

from casetracker.celery import app as celery_app
from sync.models import PendingPoll, RunKind
from sync.outbox import poll_request, polls_publish
from sync.services import accounts_schedule_due_polls
from tests import factories
from tests.worker_helpers import BROKER_URL

DOWN_BROKER = "redis://127.0.0.1:1/0"
"""Nothing listens on port 1: every publish fails as it does when Redis is stopped."""


@pytest.fixture
def broker():
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    return client


def queued_polls(broker) -> list[list]:
    """The arguments of each poll waiting in the `polls` queue (kombu's Redis message format)."""
    messages = [json.loads(raw) for raw in broker.lrange("polls", 0, -1)]
    return [json.loads(base64.b64decode(message["body"]))[0] for message in messages]


def publish(url: str) -> int:
    with celery_app.connection_for_write(url) as connection:
        return polls_publish(connection=connection)


def test_polls_claimed_while_the_broker_is_down_are_all_sent_once_it_answers(acme, broker):
    now = timezone.now()
    accounts = [factories.make_seller_account(acme, f"A1DUE{n}", next_sync_at=now) for n in range(3)]
    claimed = accounts_schedule_due_polls(now=now)

    assert publish(DOWN_BROKER) == 0
    assert PendingPoll.objects.count() == 3, "nothing is lost while the broker is down"
    assert broker.llen("polls") == 0

    assert publish(BROKER_URL) == 3
    assert sorted(claimed) == sorted(a.pk for a in accounts)
    assert sorted(queued_polls(broker)) == sorted([pk, RunKind.POLL] for pk in claimed)
    assert not PendingPoll.objects.exists()
    assert publish(BROKER_URL) == 0, "a sent poll is not sent again"
    assert broker.llen("polls") == 3


def test_a_claimed_account_is_not_claimed_again_while_its_poll_waits_in_the_outbox(acme, broker):
    now = timezone.now()
    account = factories.make_seller_account(acme, "A1DUE", next_sync_at=now)
    accounts_schedule_due_polls(now=now)
    publish(DOWN_BROKER)

    later = accounts_schedule_due_polls(now=now + dt.timedelta(minutes=5))

    assert later == []
    assert list(PendingPoll.objects.values_list("seller_account_id", flat=True)) == [account.pk]


def test_a_poll_requested_twice_before_it_is_sent_is_sent_once(acme_amazon, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        poll_request(seller_account_id=acme_amazon.pk, kind=RunKind.MANUAL_POLL)
        poll_request(seller_account_id=acme_amazon.pk, kind=RunKind.MANUAL_POLL)

    assert publish(BROKER_URL) == 1
    assert queued_polls(broker) == [[acme_amazon.pk, RunKind.MANUAL_POLL]]
