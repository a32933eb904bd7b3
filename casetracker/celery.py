import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")

app = Celery("casetracker", task_cls="jobs.guard:GuardedTask")  # poison messages set aside, see jobs/guard.py
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "poll-due-accounts": {"task": "sync.tasks.poll_due_accounts", "schedule": 60.0},
    "send-daily-digests": {
        "task": "cases.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),  # in CELERY_TIMEZONE, which is TIME_ZONE: UTC unless changed
    },
}
