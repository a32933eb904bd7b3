"""Celery signal receivers: the worker heartbeat, and the task id as the request id of a task's log lines."""

from celery.signals import heartbeat_sent, task_postrun, task_prerun, worker_ready

from monitoring.heartbeats import heartbeat_worker_record
from monitoring.logs import log_context_bind, log_context_clear


@worker_ready.connect
def _worker_ready(sender, **kwargs) -> None:
    heartbeat_worker_record(hostname=sender.hostname)


@heartbeat_sent.connect
def _heartbeat_sent(sender, **kwargs) -> None:
    heartbeat_worker_record(hostname=sender.eventer.hostname)


@task_prerun.connect
def _task_prerun(task_id, **kwargs) -> None:
    log_context_clear()
    log_context_bind(request_id=task_id)


@task_postrun.connect
def _task_postrun(**kwargs) -> None:
    log_context_clear()
