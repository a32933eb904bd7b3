"""Log context: the tenant, seller account, run and request ids of what is being done, on every line.

`log_context(...)` binds ids for a block (a request, a task, a poll) and restores the previous ones
when the block ends; `log_context_bind(...)` adds an id inside such a block (a run id, once the run
exists). `ContextFilter` copies them onto each record; `JsonFormatter` writes one JSON object a line.
This module imports nothing of Django's models: the LOGGING setting names it.
"""

import contextvars
import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

CONTEXT_FIELDS = ("request_id", "tenant_id", "seller_account_id", "run_id")
_VARS = {name: contextvars.ContextVar(name, default=None) for name in CONTEXT_FIELDS}


def _check(ids: dict) -> None:
    unknown = set(ids) - set(CONTEXT_FIELDS)
    if unknown:
        raise TypeError(f"log context has no field {', '.join(sorted(unknown))}; it has {', '.join(CONTEXT_FIELDS)}")


@contextmanager
def log_context(**ids) -> Iterator[None]:
    """Bind `ids` (among CONTEXT_FIELDS) for the block; on leaving it every field is as it was before."""
    _check(ids)
    tokens = [(var, var.set(var.get())) for var in _VARS.values()]
    for name, value in ids.items():
        _VARS[name].set(value)
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def log_context_bind(**ids) -> None:
    """Set ids until the enclosing `log_context` block ends."""
    _check(ids)
    for name, value in ids.items():
        _VARS[name].set(value)


def log_context_clear() -> None:
    """Unset every field (a worker process, between two tasks)."""
    for var in _VARS.values():
        var.set(None)


def log_context_current() -> dict:
    return {name: var.get() for name, var in _VARS.items() if var.get() is not None}


class ContextFilter(logging.Filter):
    """Adds the bound ids to each record as attributes, and `context` as ` [tenant_id=3 ...]` for plain text."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = log_context_current()
        for name in CONTEXT_FIELDS:
            setattr(record, name, ids.get(name))
        record.context = "".join(f" {name}={value}" for name, value in ids.items())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the bound ids, and the
    exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)
