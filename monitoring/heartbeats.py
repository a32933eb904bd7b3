"""Heartbeats in Redis (`settings.REDIS_URL`): the scheduler's tick and each worker's, read by /readyz.

The beat heartbeat is written by `sync.tasks.poll_due_accounts`, which beat sends every minute: its
age says that beat sends and a `schedule` worker runs what it sends. Each worker writes its own
(under its Celery hostname) when it starts and at each Celery heartbeat (every 2 s), see
`monitoring.worker_signals`.
"""

import functools
import logging
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

BEAT_KEY = "casetracker:heartbeat:beat"
WORKERS_KEY = "casetracker:heartbeat:workers"
"""A hash: worker hostname -> the time of its last heartbeat (Unix seconds)."""
TIMEOUT_SECONDS = 1.0


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)


def redis_client() -> redis.Redis:
    """A client of `settings.REDIS_URL` that gives up within a second."""
    return _client(settings.REDIS_URL)


def heartbeat_beat_record() -> None:
    """Record that the scheduler ticked. Never raises: a Redis outage must not fail the tick itself."""
    try:
        redis_client().set(BEAT_KEY, time.time())
    except redis.RedisError as error:
        logger.warning("The beat heartbeat was not recorded: Redis did not answer (%s)", type(error).__name__)


def heartbeat_worker_record(*, hostname: str) -> None:
    try:
        redis_client().hset(WORKERS_KEY, hostname, time.time())
    except redis.RedisError as error:
        logger.warning("The heartbeat of worker %s was not recorded: Redis did not answer (%s)",
                       hostname, type(error).__name__)


def heartbeat_beat_age() -> float | None:
    """Seconds since the scheduler's last tick; None if it never ticked. Raises redis.RedisError."""
    value = redis_client().get(BEAT_KEY)
    return None if value is None else time.time() - float(value)


def heartbeat_worker_ages() -> dict[str, float]:
    """Seconds since each worker's last heartbeat, by hostname. Raises redis.RedisError."""
    now = time.time()
    return {host.decode(): now - float(at) for host, at in redis_client().hgetall(WORKERS_KEY).items()}
