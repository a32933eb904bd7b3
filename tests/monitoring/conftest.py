import pytest

from monitoring.heartbeats import heartbeat_beat_record, heartbeat_worker_record


@pytest.fixture
def alive(own_redis):
    """Beat has just ticked and a worker has just answered."""
    heartbeat_beat_record()
    heartbeat_worker_record(hostname="schedule@test")
    return own_redis
