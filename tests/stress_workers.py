"""Real Celery workers for the fault tests: every queue consumed, each worker's database sessions named.

`WORKER_QUEUES` lists the queues a test worker consumes: the default one and those the settings may
route tasks to (a queue that no task uses costs nothing). Override it with `STRESS_WORKER_QUEUES`.
"""

import itertools
import os
import subprocess
from pathlib import Path

from django.db import connection

from tests.worker_helpers import ROOT, Worker, wait_for

WORKER_QUEUES = tuple(
    name.strip() for name in os.environ.get("STRESS_WORKER_QUEUES", "celery,polls,schedule,email").split(",")
    if name.strip()
)
_numbers = itertools.count(1)


class NamedWorker(Worker):
    """A worker whose database sessions carry `application_name` = `self.name`, so a test can see in
    `pg_stat_activity` what it is doing and whether its sessions are gone after a kill."""

    def __init__(self, log_dir: Path, *, app: str = "casetracker", visibility_timeout: int,
                 extra_env: dict[str, str] | None = None):
        super().__init__(log_dir, visibility_timeout=visibility_timeout, concurrency=1)
        self.number = next(_numbers)
        self.name = f"stress-worker-{os.getpid()}-{self.number}"
        self.app = app
        self.extra_env = extra_env or {}

    def environment(self, sandbox_delay: int) -> dict[str, str]:
        env = super().environment(sandbox_delay)
        env["DATABASE_URL"] += f"?application_name={self.name}"
        return {**env, **self.extra_env}

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def spawn(self, *, sandbox_delay: int = 0) -> "NamedWorker":
        """Start the process without waiting for it to be ready (see `wait_ready`)."""
        log = open(self.log_path, "w")  # noqa: SIM115 (closed by the OS with the process)
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/celery"), "-A", self.app, "worker", "--pool", "prefork",
             "--concurrency", "1", "--loglevel", "INFO", "--queues", ",".join(WORKER_QUEUES),
             "--hostname", f"{self.name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.environment(sandbox_delay), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def start(self, *, sandbox_delay: int = 0) -> None:
        self.spawn(sandbox_delay=sandbox_delay)
        self.wait_ready()

    def wait_ready(self) -> None:
        wait_for(lambda: "ready." in self.log(), timeout=90, what=f"{self.name} to start")

    def log(self) -> str:
        return self.log_path.read_text()

    def sessions(self) -> list[tuple[str, str, str]]:
        """(state, wait event type, query) of each of this worker's database sessions."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(state, ''), coalesce(wait_event_type, ''), query FROM pg_stat_activity "
                "WHERE application_name = %s", [self.name],
            )
            return cursor.fetchall()

    def wait_sessions_gone(self) -> None:
        """After a kill: PostgreSQL ends a session when it next reads from or writes to the dead client."""
        wait_for(lambda: not self.sessions(), timeout=60, what=f"the database sessions of {self.name} to end")
