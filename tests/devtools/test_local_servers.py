"""make run and make test on a bare machine: private PostgreSQL and Redis when nothing answers at the URLs,
the real ones when they answer, and the private ones stopped when the command ends."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from devtools.quickstart_check import answers, spare_ports

ROOT = Path(__file__).resolve().parent.parent.parent
SHOW_ENV = "import os; print(os.environ['DATABASE_URL'], os.environ['REDIS_URL'])"
CONNECT = (
    "import os, psycopg, redis; "
    "print(psycopg.connect(os.environ['DATABASE_ADMIN_URL'])"
    ".execute('SELECT 1').fetchone()[0], redis.Redis.from_url(os.environ['REDIS_URL']).ping())"
)


def with_servers(code: str, *, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "LOCAL_SERVERS_DIR": str(tmp_path / "services"), **env}
    environment.pop("TEST_BROKER_URL", None)
    return subprocess.run([sys.executable, "-m", "devtools.local_servers", "--", sys.executable, "-c", code],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture
def reachable_tmp_path():
    """A folder of its own directly under the system's temporary folder, open to other users: as root
    the private PostgreSQL runs as another user, who must reach it (pytest's own tmp_path sits in a
    folder pytest keeps at mode 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="casetracker-local-servers-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_private_servers_start_where_nothing_answers_and_stop_after_the_command(reachable_tmp_path):
    db_port, redis_port = spare_ports(2)

    finished = with_servers(CONNECT, tmp_path=reachable_tmp_path,
                            DATABASE_URL=f"postgres://127.0.0.1:{db_port}/casetracker",
                            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert finished.stdout.split() == ["1", "True"], finished.stderr
    assert "started a private PostgreSQL" in finished.stderr and "started a private Redis" in finished.stderr
    assert (reachable_tmp_path / "services" / "postgres" / "data" / "PG_VERSION").exists()
    assert not answers(db_port) and not answers(redis_port), "stopped when the command ended"


@pytest.mark.stress  # see below: `make stress` runs it
def test_ctrl_c_ends_the_command_and_then_the_private_servers(reachable_tmp_path):
    """Passes alone and on a quiet host; on a host whose two cores were taken by two mutation runs and a
    suite it failed three times out of three on 2026-12-01 (the command ran its full two minutes, as if
    the Ctrl-C had not reached it): not understood yet, so it runs with the stress tests, not in `make
    test`, until it is."""
    db_port, redis_port = spare_ports(2)
    environment = {**os.environ, "LOCAL_SERVERS_DIR": str(reachable_tmp_path / "services"),
                   "DATABASE_URL": f"postgres://127.0.0.1:{db_port}/casetracker",
                   "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    wrapper = subprocess.Popen(
        [sys.executable, "-m", "devtools.local_servers", "--", sys.executable, "-c",
         "import time; print('started', flush=True); time.sleep(120)"],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    assert wrapper.stdout.readline() == "started\n"

    os.killpg(wrapper.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group

    assert wrapper.wait(timeout=60) != 0, "the command was interrupted, not finished"
    assert "stopped the private PostgreSQL" in wrapper.stderr.read()
    assert not answers(db_port) and not answers(redis_port)


@pytest.fixture
def real_urls(settings) -> dict[str, str]:
    """The URLs of the servers the tests run on, which answer."""
    database = settings.DATABASES["default"]
    return {
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/x",
        "REDIS_URL": settings.REDIS_URL,
    }


def test_servers_that_answer_are_used_as_they_are(tmp_path, real_urls):
    finished = with_servers(SHOW_ENV, tmp_path=tmp_path, **real_urls)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == [real_urls["DATABASE_URL"], real_urls["REDIS_URL"]]
    assert "answers at the database URL: using it" in finished.stderr
    assert not (tmp_path / "services").exists()


def test_the_command_s_exit_status_is_passed_on(tmp_path, real_urls):
    finished = with_servers("raise SystemExit(3)", tmp_path=tmp_path, **real_urls)

    assert finished.returncode == 3


@pytest.mark.quickstart
def test_the_quick_start_runs_from_a_fresh_clone_with_nothing_at_the_urls():
    """`make quickstart-check` with this .venv linked: the login page, /readyz 200, a poll with no failure,
    everything stopped after Ctrl-C. It clones HEAD: commit what it should see."""
    finished = subprocess.run([sys.executable, "-m", "devtools.quickstart_check", "--reuse-venv"], cwd=ROOT,
                              capture_output=True, text=True, timeout=1200, check=False)

    assert finished.returncode == 0, finished.stderr + finished.stdout
    assert "quick start check passed" in finished.stdout
