"""The project's Celery app with pauses at named points of a poll, for the kill sweep.

Run as `celery -A tests.killpoints worker`, with `KILLPOINT_DIR` set. The test arms a point by
writing its name into `$KILLPOINT_DIR/armed`. The first poll that reaches that point takes the
file (so the redelivered poll passes through), writes `$KILLPOINT_DIR/reached` (the point and the
worker's process id) and sleeps until the test SIGKILLs the worker. The points:

- `download`: the sandbox has produced the report; ingestion has not started.
- `copy`: half of the report's lines have gone into the COPY, whose statement is still open.
- `after_commit`: the poll committed and the task returned; the worker has not acknowledged the
  message yet (`task_postrun` runs in the pool process, before the result reaches the parent
  process that acknowledges a late-acked message).

The fourth point, `recompute`, needs no hook: the test holds the account's cases locked, so the
poll blocks in the recompute's UPDATE after its records were inserted.
"""

import os
import time
from pathlib import Path

from celery.signals import task_postrun, task_prerun

from casetracker.celery import app

__all__ = ["app"]

POLL_TASK = "sync.tasks.poll_account"
PAUSE_SECONDS = 3600


def _directory() -> Path | None:
    directory = os.environ.get("KILLPOINT_DIR")
    return Path(directory) if directory else None


def _take(point: str) -> bool:
    """Whether `point` is armed; if so, disarm it, for this process alone."""
    directory = _directory()
    if directory is None:
        return False
    armed = directory / "armed"
    try:
        if armed.read_text() != point:
            return False
        os.rename(armed, directory / f"taken-{os.getpid()}")
    except FileNotFoundError:
        return False
    return True


def _pause(point: str) -> None:
    directory = _directory()
    staged = directory / f"reached-{os.getpid()}"
    staged.write_text(f"{point} {os.getppid()}")
    os.rename(staged, directory / "reached")
    time.sleep(PAUSE_SECONDS)


def _midway(lines: list[str]):
    half = len(lines) // 2
    for number, line in enumerate(lines):
        if number == half and _take("copy"):
            _pause("copy")
        yield line


_installed = False


def _install_adapter() -> None:
    """Swap the sandbox's entry in the adapter registry for one that can pause (Django is ready by now)."""
    global _installed
    if _installed:
        return
    from accounts.models import SyncBackend
    from sync.adapters import registry
    from sync.adapters.sandbox import SandboxAdapter

    class PausingSandboxAdapter(SandboxAdapter):
        def fetch_reimbursements(self, account, *, since, until):
            lines = list(super().fetch_reimbursements(account, since=since, until=until))
            if _take("download"):
                _pause("download")
            return _midway(lines)

    registry.ADAPTERS[SyncBackend.SANDBOX] = PausingSandboxAdapter
    _installed = True


@task_prerun.connect
def _before_task(sender=None, **kwargs) -> None:
    _install_adapter()


@task_postrun.connect
def _after_task(sender=None, **kwargs) -> None:
    if sender is not None and sender.name == POLL_TASK and _take("after_commit"):
        _pause("after_commit")
