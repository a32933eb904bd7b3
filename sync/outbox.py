"""The outbox of polls: a poll is written to the database before it is handed to the broker.

The scheduler claims due accounts and, in the same transaction, moves each one's next sync one
interval ahead and writes a PendingPoll row. Once that commits, `polls_publish` hands the rows to
the broker one at a time, deleting each row in the transaction that locked it, after the broker
took the message. So:

- the broker down (or failing half-way) loses nothing: the rows not published stay, and the
  scheduler's next run (every minute) publishes them; a failure stops this round, it does not
  skip the rest;
- an account's next sync has moved only together with a row that will be published: no claimed
  account waits a whole interval for a poll that never went out;
- a row published whose delete then failed is published again: a poll is safe to run twice (the
  account's poll lock skips an overlapping one, and ingesting a report again adds nothing).

Operators' "Poll now" writes a row the same way and publishes it once its transaction commits.
"""

import logging

from django.db import transaction
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerError

from celery import current_app as app
from sync.models import PendingPoll, RunKind

logger = logging.getLogger(__name__)

POLL_TASK = "sync.tasks.poll_account"


def poll_request(*, seller_account_id: int, kind: RunKind) -> None:
    """Write a poll of the account to the outbox, and publish the outbox once this transaction
    commits. A request like one already waiting adds nothing."""
    PendingPoll.objects.bulk_create(
        [PendingPoll(seller_account_id=seller_account_id, kind=kind)], ignore_conflicts=True
    )
    transaction.on_commit(polls_publish)


def polls_publish(*, connection: Connection | None = None) -> int:
    """Hand every waiting poll to the broker, oldest first, and delete each once it is sent.

    Stops at the first broker error, logged, leaving that row and the rest for the next call.
    Returns how many were sent. `connection` is the broker's (the settings' by default).
    """
    sent = 0
    while True:
        with transaction.atomic():
            pending = PendingPoll.objects.select_for_update(skip_locked=True).order_by("pk").first()
            if pending is None:
                return sent
            try:
                app.send_task(POLL_TASK, args=(pending.seller_account_id, pending.kind), connection=connection)
            except BrokerError as error:
                waiting = PendingPoll.objects.count()
                logger.warning("The broker refused a poll (%s); %s polls wait for the next try", error, waiting)
                return sent
            pending.delete()
        sent += 1
