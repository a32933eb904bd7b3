import pytest

from monitoring.heartbeats import heartbeat_beat_record, heartbeat_worker_record
from tests.worker_helpers import RedisServer


@pytest.fixture
def own_redis(tmp_path, settings):
    """A redis-server of the test's own, named by REDIS_URL and the broker URL; stopped at the end."""
    server = RedisServer(tmp_path)
    server.start()
    settings.REDIS_URL = settings.CELERY_BROKER_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def alive(own_redis):
    """Beat has just ticked and a worker has just answered."""
    heartbeat_beat_record()
    heartbeat_worker_record(hostname="schedule@test")
    return own_redis
