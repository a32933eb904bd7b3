"""The web server as the Procfile runs it (gunicorn, 2 workers, gthread, 4 threads), on the test database."""

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.db import connection

from tests.worker_helpers import BROKER_URL, ROOT, wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn on a free port; its database sessions carry `application_name` = `self.name`."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.name = f"stress-web-{os.getpid()}-{self.port}"
        self.log_path = log_dir / f"{self.name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        db = connection.settings_dict
        auth = f"{db['USER']}@" if db.get("USER") else ""
        return {
            **os.environ, "DEBUG": "true", "REDIS_URL": BROKER_URL, "CONN_MAX_AGE": "60",
            "DATABASE_URL": f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
                            f"?application_name={self.name}",
        }

    def start(self) -> "Gunicorn":
        log = open(self.log_path, "w")  # noqa: SIM115 (closed by the OS with the process)
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "casetracker.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--worker-class", "gthread", "--threads", "4", "--timeout", "120"],
            cwd=ROOT, env=self.environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(self._answers, timeout=90, what="gunicorn to answer")
        return self

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/accounts/login/", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def sessions(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [self.name])
            return cursor.fetchone()[0]


@dataclass(frozen=True)
class Answer:
    url: str
    started: float
    ended: float
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


def fetch(client: httpx.Client, url: str) -> Answer:
    started = time.monotonic()
    try:
        response = client.get(url)
        return Answer(url, started, time.monotonic(), response.status_code)
    except httpx.HTTPError as error:
        return Answer(url, started, time.monotonic(), None, f"{type(error).__name__}: {error}")
