"""Poison messages: a message that never finishes is set aside after a few deliveries.

With `acks_late` and `reject_on_worker_lost`, a message whose worker is killed (SIGKILL, out of
memory, a crash in C code) goes back to the queue, so that a deploy or a crash loses no task. A
message that itself kills its worker would come back for ever. Every task of the app is a
`GuardedTask` (casetracker/celery.py): as each delivery starts, it counts it in Redis (the broker),
keyed by the task id and retry number, and when the count passes
`settings.CELERY_TASK_MAX_DELIVERIES` it records a `SetAsideTask` and returns without running, so
the message is acknowledged. A task that finishes, fails or retries forgets its count. A count
expires after a week.
"""

import datetime as dt
import logging
import os
import socket
from functools import lru_cache

import redis
from celery import Task
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

KEY_PREFIX = "casetracker:deliveries:"
COUNT_TTL_SECONDS = 7 * 24 * 3600


@lru_cache(maxsize=2)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


class GuardedTask(Task):
    def __call__(self, *args, **kwargs):
        request = self.request
        if request.called_directly or request.is_eager or not request.id:
            return super().__call__(*args, **kwargs)
        deliveries, first_seen, last_start = self._count_delivery()
        if deliveries > settings.CELERY_TASK_MAX_DELIVERIES:
            self._set_aside(args, kwargs, deliveries=deliveries, first_seen=first_seen, last_start=last_start)
            return None
        return super().__call__(*args, **kwargs)

    def after_return(self, status, retval, task_id, args, kwargs, einfo):
        if task_id and not self.request.is_eager:
            _redis(self.app.conf.broker_url).delete(self._delivery_key())
        super().after_return(status, retval, task_id, args, kwargs, einfo)

    def _delivery_key(self) -> str:
        return f"{KEY_PREFIX}{self.request.id}:{self.request.retries or 0}"

    def _count_delivery(self) -> tuple[int, dt.datetime, str]:
        """Count this delivery; return the count, when the first started, and where the last one
        before this started (empty on the first)."""
        key, now = self._delivery_key(), timezone.now()
        start = f"{now.isoformat()} on {self.request.hostname or socket.gethostname()} (pid {os.getpid()})"
        pipe = _redis(self.app.conf.broker_url).pipeline()
        pipe.hincrby(key, "deliveries", 1)
        pipe.hsetnx(key, "first_seen", now.isoformat())
        pipe.hmget(key, ["first_seen", "last_start"])
        pipe.hset(key, "last_start", start)
        pipe.expire(key, COUNT_TTL_SECONDS)
        deliveries, _, (first_seen, last_start), _, _ = pipe.execute()
        return deliveries, dt.datetime.fromisoformat(first_seen.decode()), (last_start or b"").decode()

    def _set_aside(self, args, kwargs, *, deliveries: int, first_seen: dt.datetime, last_start: str) -> None:
        from jobs.models import SetAsideTask

        ran = deliveries - 1
        last_error = (f"Its worker was lost (killed or crashed) in each of the {ran} runs that this message "
                      f"started; the last started {last_start}. Set aside instead of running it again.")
        SetAsideTask.objects.get_or_create(task_id=self.request.id, defaults={
            "task_name": self.name, "args": list(args), "kwargs": dict(kwargs), "first_seen": first_seen,
            "deliveries": deliveries, "last_error": last_error,
        })
        logger.error("Set aside %s[%s] args=%r: %s", self.name, self.request.id, args, last_error)
