"""Celery tasks of the cases app."""

from celery import shared_task

from cases.digest import digest_send, digest_yesterday


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3, soft_time_limit=120, time_limit=180)
def send_daily_digests() -> int:
    """Yesterday's digest, for the daily beat entry. A retry re-sends only what was not sent."""
    return digest_send(day=digest_yesterday()).sent
