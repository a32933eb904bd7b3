"""A real Celery worker records its heartbeat where /readyz reads it, and logs through our LOGGING."""

import pytest

from monitoring.heartbeats import heartbeat_beat_record, heartbeat_worker_ages
from tests.worker_helpers import Worker, wait_for


@pytest.mark.worker
def test_a_started_worker_makes_the_readyz_worker_check_pass(client, db, own_redis, tmp_path):
    heartbeat_beat_record()
    assert client.get("/readyz").json()["failing"] == ["worker"], "no worker has answered yet"
    worker = Worker(tmp_path, visibility_timeout=30, broker_url=own_redis.url)

    worker.start()
    try:
        wait_for(lambda: heartbeat_worker_ages(), timeout=30, what="the worker's heartbeat")
        response = client.get("/readyz")
    finally:
        worker.stop()

    assert (response.status_code, response.json()["failing"]) == (200, [])
    assert " ready." in worker.log(), "the worker logs through settings.LOGGING (Celery does not hijack it)"
