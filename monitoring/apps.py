from django.apps import AppConfig
from django.core.signals import request_finished

from monitoring.logs import log_context_clear


class MonitoringConfig(AppConfig):
    """Log context, metrics and heartbeats: imports no product app, so that every app may use it."""

    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from monitoring import worker_signals  # noqa: F401 (connects the Celery signal receivers)

        request_finished.connect(_request_finished, dispatch_uid="monitoring.log_context_clear")


def _request_finished(**kwargs) -> None:
    """A request's ids end with it (casetracker.probes binds them for the whole request)."""
    log_context_clear()
