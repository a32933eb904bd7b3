"""Tasks that only the test workers load (`celery worker --include tests.worker_tasks`)."""

import os
import signal

import redis
from celery import shared_task


def crash_runs_key(token: str) -> str:
    return f"test:crash-runs:{token}"


@shared_task(bind=True)
def crash_worker(self, token: str) -> None:
    """A poison message: count the run on the worker's broker, then SIGKILL the process running it."""
    redis.Redis.from_url(self.app.conf.broker_url).incr(crash_runs_key(token))
    os.kill(os.getpid(), signal.SIGKILL)
