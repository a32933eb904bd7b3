"""How the processes are set up: queues, time limits, who consumes what, and what httpx may log."""

import logging
import re

import httpx
import respx
from django.conf import settings

from casetracker.celery import app as celery_app
from tests.worker_helpers import QUEUES, ROOT

OUR_APPS = ("accounts.", "cases.", "dashboard.", "jobs.", "sync.")


def our_tasks():
    celery_app.loader.import_default_modules()
    return {name: task for name, task in celery_app.tasks.items() if name.startswith(OUR_APPS)}


def queue_of(name: str) -> str:
    return celery_app.amqp.router.route({}, name)["queue"].name


def consumed_queues(text: str) -> set[str]:
    return {queue for found in re.findall(r'--queues"?,? "?([\w,]+)', text) for queue in found.split(",")}


def test_polls_scheduling_and_email_each_have_their_own_queue():
    assert queue_of("sync.tasks.poll_account") == "polls"
    assert queue_of("sync.tasks.poll_due_accounts") == "schedule"
    assert queue_of("cases.tasks.send_daily_digests") == "email"


def test_every_task_has_a_time_limit_below_the_visibility_timeout_and_a_softer_one_before_it():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    tasks = our_tasks()

    assert {"sync.tasks.poll_account", "sync.tasks.poll_due_accounts", "cases.tasks.send_daily_digests"} <= set(tasks)
    for name, task in tasks.items():
        assert task.soft_time_limit and task.time_limit, f"{name} has no time limits"
        assert task.soft_time_limit < task.time_limit < visibility, name


def test_the_procfile_compose_and_test_workers_consume_every_queue_a_task_goes_to():
    wanted = {queue_of(name) for name in our_tasks()} | {settings.CELERY_TASK_DEFAULT_QUEUE}

    assert consumed_queues((ROOT / "Procfile").read_text()) == wanted
    assert consumed_queues((ROOT / "docker-compose.yml").read_text()) == wanted
    assert set(QUEUES.split(",")) == wanted


@respx.mock
def test_httpx_does_not_log_the_urls_it_fetches(caplog):
    signed = "https://tortuga-prod-na.s3.amazonaws.com/report.txt?X-Amz-Signature=0123456789abcdef"
    respx.get(signed).respond(200, text="report")
    caplog.set_level(logging.DEBUG)

    assert httpx.get(signed).text == "report"

    assert "X-Amz-Signature" not in caplog.text
