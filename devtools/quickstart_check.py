"""The README's quick start on a machine where nothing answers at DATABASE_URL and REDIS_URL: from a fresh
clone of this checkout's HEAD, `make run` must start private PostgreSQL and Redis servers, serve the login
page, report ready on /readyz (beat ticked, a worker answered), poll the demo accounts without a failure
(`manage.py poll_marketplaces`), and on Ctrl-C stop everything, its private servers included.

    python3 -m devtools.quickstart_check              # a new virtualenv, as on a new machine
    python3 -m devtools.quickstart_check --reuse-venv # this checkout's .venv, linked (its install step skipped)

"Nothing answers" is made real without stopping anyone's servers: DATABASE_URL, REDIS_URL and the web
port name spare ports, so the check runs beside the machine's own servers. It prints how many seconds
each step took from the clone; it uses only the standard library (run it with any Python 3.11).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGIN_TIMEOUT = 1200.0
"""A new virtualenv installs every requirement first: minutes on a slow network."""
READY_TIMEOUT = 240.0
"""Beat's first tick comes a minute after it starts."""
STOP_TIMEOUT = 90.0


class CheckFailed(Exception):
    pass


def spare_ports(count: int) -> list[int]:
    """Distinct free ports (each held until all are chosen, so none is picked twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own local server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_for(what: str, ok, *, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        if process.poll() is not None:
            raise CheckFailed(f"make run exited ({process.returncode}) before {what}; its output: {log}")
        time.sleep(1)
    raise CheckFailed(f"no {what} within {timeout:.0f} s; make run's output: {log}")


def check(*, reuse_venv: bool, keep: bool) -> dict[str, float]:
    started = time.monotonic()
    steps: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="casetracker-quickstart-"))
    work.chmod(0o755)  # as root, the private PostgreSQL runs as another user, who must reach the clone
    clone = work / "casetracker"
    log = work / "make-run.log"
    db_port, redis_port, web_port = spare_ports(3)
    if any(answers(port) for port in (db_port, redis_port, web_port)):
        raise CheckFailed("a spare port answered; run the check again")
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_ADMIN_URL", "REDIS_URL", "TEST_BROKER_URL",
                           "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update({
        "DATABASE_URL": f"postgres://127.0.0.1:{db_port}/casetracker",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "WEB_PORT": str(web_port),
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "DEBUG": "true",
    })
    process = None
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        make = ["make", "run"]
        if reuse_venv:
            (clone / ".venv").symlink_to(ROOT / ".venv")
            make = ["make", "-o", ".venv/.installed", "run"]
        with open(log, "w") as output:
            process = subprocess.Popen(make, cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        base = f"http://127.0.0.1:{web_port}"
        wait_for("login page", lambda: http_status(f"{base}/accounts/login/") == 200,
                 timeout=LOGIN_TIMEOUT, process=process, log=log)
        steps["login page"] = time.monotonic() - started
        wait_for("ready answer from /readyz", lambda: http_status(f"{base}/readyz") == 200,
                 timeout=READY_TIMEOUT, process=process, log=log)
        steps["/readyz 200"] = time.monotonic() - started
        poll = subprocess.run([str(clone / ".venv/bin/python"), "manage.py", "poll_marketplaces"], cwd=clone,
                              env=env, capture_output=True, text=True, check=False)
        if poll.returncode != 0 or " 0 failed." not in poll.stdout:
            raise CheckFailed(f"poll_marketplaces failed ({poll.returncode}):\n{poll.stdout}\n{poll.stderr}")
        print(poll.stdout.strip())
        steps["passing poll"] = time.monotonic() - started
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired as timeout:
            raise CheckFailed(f"make run did not stop within {STOP_TIMEOUT:.0f} s of Ctrl-C") from timeout
        still = [name for name, port in (("PostgreSQL", db_port), ("Redis", redis_port), ("web", web_port))
                 if answers(port)]
        if still:
            raise CheckFailed(f"still answering after Ctrl-C: {', '.join(still)}")
        if not (clone / ".services" / "postgres" / "data" / "PG_VERSION").exists():
            raise CheckFailed("no private PostgreSQL cluster under .services/")
        steps["stopped"] = time.monotonic() - started
        return steps
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        if keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse-venv", action="store_true", help="link this checkout's .venv into the clone")
    parser.add_argument("--keep", action="store_true", help="keep the clone and make run's output")
    args = parser.parse_args()
    try:
        steps = check(reuse_venv=args.reuse_venv, keep=args.keep)
    except (CheckFailed, subprocess.CalledProcessError) as error:
        print(f"quick start check FAILED: {error}", file=sys.stderr)
        return 1
    venv = "this checkout's .venv linked" if args.reuse_venv else "a new virtualenv"
    print(f"quick start check passed from a fresh clone ({venv}): "
          + ", ".join(f"{name} at {seconds:.0f} s" for name, seconds in steps.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
