"""Prometheus metrics: what the processes count, and what is read when Prometheus scrapes.

Counted where it happens (sync.services, sync.ingest, the request middleware): with
PROMETHEUS_MULTIPROC_DIR set, every process (gunicorn's workers, Celery's) writes its counts there and
the scrape adds them up, so the web's /metrics also shows the polls the workers ran; without it, a
process exposes only its own counts. Read at scrape time: queue depth per queue (Redis LLEN) and
seller accounts per sync state (one query).
"""

import logging
import os
from collections.abc import Iterable

import redis
from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector


logger = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "casetracker_request_duration_seconds", "Time to answer a request, by the view that answered it.",
    ["view", "method"],
)
POLLS = Counter("casetracker_polls_total", "Polls of a seller account, by outcome.", ["outcome"])
IMPORTS = Counter(
    "casetracker_imports_total", "Report ingestions (polls and file imports), by kind and outcome.",
    ["kind", "outcome"],
)
ROWS_INGESTED = Counter(
    "casetracker_rows_ingested_total", "Report rows read by successful ingestions, and the new ones among them.",
    ["kind", "rows"],
)
INGEST_SECONDS = Histogram(
    "casetracker_ingest_seconds", "Time to ingest one report, by kind.", ["kind"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)

QUEUE_PRIORITY_SEPARATOR = "\x06\x16"
QUEUE_PRIORITY_STEPS = (3, 6, 9)
"""kombu's Redis transport keeps a queue's prioritised messages in lists named queue + separator + step."""


def poll_observed(*, outcome: str) -> None:
    POLLS.labels(outcome=outcome).inc()


def import_observed(*, run, seconds: float) -> None:
    """Count one ingestion from its finished SyncRun."""
    IMPORTS.labels(kind=run.kind, outcome=run.status).inc()
    if run.status == "succeeded":
        ROWS_INGESTED.labels(kind=run.kind, rows="read").inc(run.rows_read)
        ROWS_INGESTED.labels(kind=run.kind, rows="new").inc(run.rows_new)
        INGEST_SECONDS.labels(kind=run.kind).observe(seconds)


def request_observed(*, view: str, method: str, seconds: float) -> None:
    REQUEST_SECONDS.labels(view=view, method=method).observe(seconds)


def celery_queues() -> list[str]:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return sorted(routed | {settings.CELERY_TASK_DEFAULT_QUEUE})


def queue_depths() -> dict[str, int]:
    """Messages waiting in each Celery queue, by queue name. Raises redis.RedisError."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
    depths = {}
    for queue in celery_queues():
        names = [queue, *(f"{queue}{QUEUE_PRIORITY_SEPARATOR}{step}" for step in QUEUE_PRIORITY_STEPS)]
        depths[queue] = sum(client.llen(name) for name in names)
    return depths


class QueueDepthCollector:
    """Queue depth, read when scraped. A broker that does not answer leaves the metric out (and logs
    why) rather than failing the whole scrape."""

    def collect(self):
        depth = GaugeMetricFamily("casetracker_queue_depth", "Messages waiting in each Celery queue.",
                                  labels=["queue"])
        try:
            for queue, count in queue_depths().items():
                depth.add_metric([queue], count)
            yield depth
        except redis.RedisError as error:
            logger.warning("Queue depth left out of the metrics: the broker did not answer (%s)",
                           type(error).__name__)


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def metrics_render(*, collectors: Iterable = ()) -> bytes:
    """The text exposition of every metric, then of `collectors` (objects with `collect()`): all
    processes' counts in multiprocess mode, else this one's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(QueueDepthCollector())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)
