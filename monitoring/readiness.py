"""The checks of /readyz, each named, each answering (ok, detail) without raising.

Details are fixed phrases and numbers: no error text from a driver, so no host, user or password.
"""

from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader

from monitoring import heartbeats


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return CheckResult(False, f"PostgreSQL did not answer ({type(error).__name__})")
    return CheckResult(True, "PostgreSQL answers")


def check_migrations() -> CheckResult:
    """Every migration of the graph on disk is applied (not only the leaves: a row deleted from
    django_migrations under an applied leaf counts too)."""
    try:
        loader = MigrationLoader(connection)
    except DatabaseError as error:
        return CheckResult(False, f"applied migrations unreadable ({type(error).__name__})")
    missing = sorted(set(loader.graph.nodes) - set(loader.applied_migrations))
    if missing:
        names = ", ".join(f"{app}.{name}" for app, name in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        return CheckResult(False, f"{len(missing)} migrations not applied: {names}{more}")
    return CheckResult(True, "all migrations applied")


def check_redis() -> CheckResult:
    try:
        heartbeats.redis_client().ping()
    except redis.RedisError as error:
        return CheckResult(False, f"Redis did not answer ({type(error).__name__})")
    return CheckResult(True, "Redis answers")


def check_beat() -> CheckResult:
    limit = settings.READYZ_BEAT_MAX_AGE
    try:
        age = heartbeats.heartbeat_beat_age()
    except redis.RedisError as error:
        return CheckResult(False, f"beat heartbeat unreadable: Redis did not answer ({type(error).__name__})")
    if age is None:
        return CheckResult(False, "beat never ticked")
    if age > limit:
        return CheckResult(False, f"beat last ticked {age:.0f} s ago (limit {limit} s)")
    return CheckResult(True, f"beat ticked {age:.0f} s ago")


def check_worker() -> CheckResult:
    limit = settings.READYZ_WORKER_MAX_AGE
    try:
        ages = heartbeats.heartbeat_worker_ages()
    except redis.RedisError as error:
        return CheckResult(False, f"worker heartbeats unreadable: Redis did not answer ({type(error).__name__})")
    if not ages:
        return CheckResult(False, "no worker ever answered")
    youngest = min(ages.values())
    if youngest > limit:
        return CheckResult(False, f"the last worker heartbeat was {youngest:.0f} s ago (limit {limit} s)")
    alive = sum(age <= limit for age in ages.values())
    return CheckResult(True, f"{alive} workers answered within {limit} s")


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "migrations": check_migrations,
    "redis": check_redis,
    "beat": check_beat,
    "worker": check_worker,
}


def readiness_report() -> tuple[bool, dict]:
    """Run every check; (all passed, the JSON body)."""
    results = {name: check() for name, check in CHECKS.items()}
    failing = [name for name, result in results.items() if not result.ok]
    body = {
        "status": "failing" if failing else "ok",
        "failing": failing,
        "checks": {name: {"ok": result.ok, "detail": result.detail} for name, result in results.items()},
    }
    return not failing, body
