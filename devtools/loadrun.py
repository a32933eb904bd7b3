"""The load test: the Procfile's processes on the stress database, locust's sellers against them.

Every process of the Procfile runs as written there (gunicorn, worker, beat), with only the web
server's `--bind` moved to a spare port and beat's `--schedule` file moved into the run's folder.
Meanwhile the stress accounts' polls fall due one after the other (`devtools.stressdata`), so the
worker polls the sandbox during the whole test. Beat asks for the due polls once a minute, the first
time a minute after it starts; the runner also sends that task every `KICK_SECONDS`, so that polls
start within seconds of falling due, even in a one-minute test. Locust writes its CSV statistics
into the folder.
"""

import csv
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis
from django.conf import settings

from casetracker.celery import app as celery_app
from sync.tasks import poll_due_accounts

ROOT = Path(settings.BASE_DIR)
KICK_SECONDS = 10


@dataclass(frozen=True)
class LoadOptions:
    seconds: int
    users: int
    port: int
    redis_url: str
    folder: Path
    p95_limit_ms: float


@dataclass(frozen=True)
class PageFigures:
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float


def procfile_commands(*, port: int, folder: Path) -> dict[str, list[str]]:
    """The Procfile's commands, the web server bound to `port` and beat's schedule kept in `folder`."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, command = line.split(":", 1)
        argv = shlex.split(command)
        for option, value in (("--bind", f"127.0.0.1:{port}"), ("--schedule", str(folder / "celerybeat-schedule"))):
            if option in argv:
                argv[argv.index(option) + 1] = value
        commands[name.strip()] = argv
    return commands


class Processes:
    def __init__(self, commands: dict[str, list[str]], *, env: dict[str, str], folder: Path):
        self.commands, self.env, self.folder = commands, env, folder
        self.running: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        for name, argv in self.commands.items():
            log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 (closed by the OS with the process)
            self.running[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log,
                                                  stderr=subprocess.STDOUT, start_new_session=True)

    def dead(self) -> list[str]:
        return [name for name, process in self.running.items() if process.poll() is not None]

    def stop(self) -> None:
        """SIGTERM to each main process: gunicorn finishes its requests, the worker its polls (warm shutdown)."""
        for process in self.running.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _wait_answering(url: str, processes: Processes) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if processes.dead():
            raise RuntimeError(f"{', '.join(processes.dead())} stopped at start: see its log in {processes.folder}")
        try:
            if httpx.get(f"{url}/accounts/login/", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the web server did not answer at {url} within 120 s")


def page_figures(stats_csv: Path) -> list[PageFigures]:
    with stats_csv.open(newline="") as file:
        return [
            PageFigures(row["Name"], int(row["Request Count"]), int(row["Failure Count"]),
                        float(row["50%"]), float(row["95%"]))
            for row in csv.DictReader(file)
        ]


def load_run(*, options: LoadOptions, log: Callable[[str], None]) -> list[PageFigures]:
    """Start the Procfile's processes, run locust headless for `options.seconds`, stop everything,
    and return locust's figures per page (the last one, "Aggregated", for all pages)."""
    options.folder.mkdir(parents=True, exist_ok=True)
    redis.Redis.from_url(options.redis_url).flushdb()
    db = settings.DATABASES["default"]
    env = {**os.environ, "REDIS_URL": options.redis_url, "DEBUG": "true",
           "DATABASE_URL": os.environ.get("DATABASE_URL", f"postgres:///{db['NAME']}")}
    processes = Processes(procfile_commands(port=options.port, folder=options.folder), env=env,
                          folder=options.folder)
    url = f"http://127.0.0.1:{options.port}"
    log(f"Starting {', '.join(processes.commands)} (web on {url}); load average {_load_average()}")
    processes.start()
    try:
        _wait_answering(url, processes)
        log(f"Locust: {options.users} sellers for {options.seconds} s")
        kicking = threading.Event()
        threading.Thread(target=_kick_polls, args=(options.redis_url, kicking), daemon=True).start()
        subprocess.run(
            [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "devtools/locustfile.py"), "--headless",
             "--users", str(options.users), "--spawn-rate", str(max(1, options.users // 10)),
             "--run-time", f"{options.seconds}s", "--host", url, "--csv", str(options.folder / "load"),
             "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING"],
            cwd=ROOT, env={**env, "LOAD_TENANTS": str(options.users)}, check=False,
        )
        kicking.set()
        dead = processes.dead()
    finally:
        log(f"Stopping; load average {_load_average()}")
        processes.stop()
    if dead:
        raise RuntimeError(f"{', '.join(dead)} stopped during the test: see its log in {options.folder}")
    return page_figures(options.folder / "load_stats.csv")


def _kick_polls(redis_url: str, stopping: threading.Event) -> None:
    while True:
        with celery_app.connection_for_write(redis_url) as connection:
            poll_due_accounts.apply_async(connection=connection)
        if stopping.wait(KICK_SECONDS):
            return


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
