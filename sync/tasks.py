"""Celery tasks: ids in, one service call each. All are safe to run twice.

Each has a soft time limit (the task is interrupted and records its failure) and a hard one (its
process is killed), both below the broker's visibility timeout so that a running task is never
handed to a second worker. Polls go to the `polls` queue, the scheduler to `schedule`
(settings.CELERY_TASK_ROUTES).
"""

import logging

from celery import shared_task
from celery.exceptions import Reject
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from monitoring.heartbeats import heartbeat_beat_record
from sync.adapters.base import MarketplaceError
from sync.models import RunKind
from sync.outbox import poll_request, polls_publish
from sync.report import ReportError
from sync.services import AccountNotPollable, account_poll, accounts_schedule_due_polls

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 60
MAX_RETRIES = 6
POLL_SOFT_TIME_LIMIT = 40 * 60
"""An SP-API report can take 30 minutes to be ready; the download and ingestion come after."""
POLL_TIME_LIMIT = 45 * 60
SCHEDULE_SOFT_TIME_LIMIT, SCHEDULE_TIME_LIMIT = 30, 60


def retry_countdown(retries: int) -> int:
    """Exponential backoff kept under half the broker's visibility timeout: a message waiting for its
    retry longer than that would be handed to a second worker."""
    cap = max(1, settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] // 2)
    return min(RETRY_BASE_SECONDS * 2**retries, cap)


@shared_task(bind=True, max_retries=MAX_RETRIES, soft_time_limit=POLL_SOFT_TIME_LIMIT, time_limit=POLL_TIME_LIMIT)
def poll_account(self, seller_account_id: int, kind: str = RunKind.POLL) -> None:
    """Retried with backoff on a retryable marketplace error and on a database error (a restart, a
    lost connection, a lock or statement timeout). Never on a report that cannot be imported
    (`ReportError`): the same report would fail the same way; the run and the account record it."""
    try:
        account_poll(seller_account_id=seller_account_id, kind=RunKind(kind))
    except AccountNotPollable as error:
        logger.info("%s", error)
    except ReportError:
        return
    except MarketplaceError as error:
        if error.retryable and self.request.retries < self.max_retries:
            _retry(self, error, seller_account_id=seller_account_id, kind=kind)
    except (OperationalError, InterfaceError) as error:
        if self.request.retries >= self.max_retries:
            raise
        _retry(self, error, seller_account_id=seller_account_id, kind=kind)


def _retry(task, error: Exception, *, seller_account_id: int, kind: str) -> None:
    """Retry the poll later; if the broker refuses the retry, leave the poll in the outbox, which the
    scheduler publishes once the broker answers again."""
    try:
        task.retry(countdown=retry_countdown(task.request.retries), exc=error)
    except Reject as refused:
        logger.warning("The broker refused the retry of a poll of account %s (%s); it waits in the outbox",
                       seller_account_id, refused.reason)
        poll_request(seller_account_id=seller_account_id, kind=RunKind(kind))


@shared_task(soft_time_limit=SCHEDULE_SOFT_TIME_LIMIT, time_limit=SCHEDULE_TIME_LIMIT)
def poll_due_accounts() -> int:
    """Record beat's heartbeat, claim the due accounts into the outbox, then publish the outbox;
    returns the polls sent."""
    heartbeat_beat_record()
    accounts_schedule_due_polls(now=timezone.now())
    return polls_publish()
