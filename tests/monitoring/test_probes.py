"""/healthz and /readyz: no login, JSON, the failing checks named, no secret in the body."""

import time

import pytest
from django.db import connection

from monitoring.heartbeats import BEAT_KEY, WORKERS_KEY
from sync.tasks import poll_due_accounts


def readyz(client):
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_healthz_answers_ok_without_login_or_any_dependency(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_200_when_every_check_passes(client, db, alive):
    status, body = readyz(client)

    assert (status, body["status"], body["failing"]) == (200, "ok", [])
    assert set(body["checks"]) == {"database", "migrations", "redis", "beat", "worker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_is_503_naming_redis_when_redis_is_stopped(client, db, alive):
    alive.stop()

    status, body = readyz(client)

    assert status == 503
    assert "redis" in body["failing"]
    assert body["checks"]["redis"] == {"ok": False, "detail": "Redis did not answer (ConnectionError)"}
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]


def test_readyz_is_503_naming_beat_when_beat_never_ticked(client, db, alive):
    alive.client().delete(BEAT_KEY)

    status, body = readyz(client)

    assert (status, body["failing"]) == (503, ["beat"])
    assert body["checks"]["beat"]["detail"] == "beat never ticked"


def test_a_503_of_readyz_is_logged_once_at_warning_naming_the_failing_check(client, db, alive, caplog):
    alive.client().delete(BEAT_KEY)

    readyz(client)

    lines = [(record.name, record.levelname, record.getMessage()) for record in caplog.records
             if record.name in ("django.request", "casetracker.probes")]
    assert lines == [("casetracker.probes", "WARNING", "Not ready: beat: beat never ticked")]


def test_readyz_is_503_naming_beat_when_its_last_tick_is_too_old(client, db, alive, settings):
    alive.client().set(BEAT_KEY, time.time() - settings.READYZ_BEAT_MAX_AGE - 30)

    status, body = readyz(client)

    assert (status, body["failing"]) == (503, ["beat"])


def test_the_scheduler_task_records_the_beat_tick(client, db, alive):
    alive.client().delete(BEAT_KEY)

    poll_due_accounts()

    status, body = readyz(client)
    assert (status, body["checks"]["beat"]["ok"]) == (200, True)


def test_readyz_is_503_naming_worker_when_no_worker_answered_recently(client, db, alive, settings):
    alive.client().hset(WORKERS_KEY, "polls@test", time.time() - settings.READYZ_WORKER_MAX_AGE - 30)
    alive.client().hdel(WORKERS_KEY, "schedule@test")

    status, body = readyz(client)

    assert (status, body["failing"]) == (503, ["worker"])


def test_readyz_is_503_naming_migrations_when_one_is_not_applied(client, db, alive):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'sync' AND name = '0001_initial'")

    status, body = readyz(client)

    assert (status, body["failing"]) == (503, ["migrations"])
    assert "sync.0001_initial" in body["checks"]["migrations"]["detail"]


def test_readyz_names_no_secret_of_an_unreachable_redis(client, db, settings):
    settings.REDIS_URL = "redis://:very-secret-password@127.0.0.1:1/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert "very-secret-password" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_pass_the_production_host_check_and_https_redirect(client, db, alive, settings, path):
    settings.ALLOWED_HOSTS = ["cases.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(path, HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 200, "a probe by IP over plain HTTP is answered, not refused or redirected"
    assert client.get("/accounts/login/", HTTP_HOST="cases.example.com").status_code == 301, "pages still redirect"


def test_probes_refuse_writes(client, db):
    assert client.post("/healthz").status_code == 405
