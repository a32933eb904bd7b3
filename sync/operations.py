"""What the operations page shows: the fleet's sync states, failures by cause, queues, heartbeats and
set-aside messages, read for the tenants a staff member works on (`accounts.staff.staff_tenants`)."""

import datetime as dt
from dataclasses import dataclass, field

import redis
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import SellerAccount
from jobs.models import SetAsideTask
from monitoring import heartbeats
from monitoring.metrics import queue_depths
from sync.states import sync_state_expression

STATE_LABELS = {
    "failing": "Failing",
    "needs_reconnect": "Needs reconnecting",
    "overdue": "Overdue",
    "not_connected": "Not connected",
    "not_polled": "Nothing to poll (manual, Walmart)",
    "healthy": "Healthy",
}
"""Every state of SYNC_STATES, named, in the page's order: what needs someone first."""
ACCOUNTS_SHOWN_PER_STATE = 200
"""Each state lists at most this many accounts; the counts are exact."""
SET_ASIDE_SHOWN = 10


@dataclass
class StateGroup:
    state: str
    label: str
    count: int
    accounts: list[SellerAccount]

    @property
    def more(self) -> int:
        return self.count - len(self.accounts)


@dataclass
class FailureCause:
    cause: str
    accounts: list[SellerAccount]


@dataclass
class OperationsOverview:
    states: list[StateGroup]
    failing_by_cause: list[FailureCause]
    queue_depths: dict[str, int] | None
    beat_age: float | None
    worker_ages: dict[str, float] | None
    set_aside_count: int
    set_aside_recent: list[SetAsideTask]
    problems: list[str] = field(default_factory=list)
    """What could not be read (Redis down), in words; the rest of the page still shows."""

    @property
    def counts(self) -> dict[str, int]:
        return {group.state: group.count for group in self.states}


def failure_cause(error: str) -> str:
    """The first line of an account's last error: what groups failures of one cause together."""
    first_line = error.strip().splitlines()[0] if error.strip() else "no message recorded"
    return first_line[:200]


def operations_overview(*, tenants, now: dt.datetime | None = None) -> OperationsOverview:
    """Everything the operations page shows, for the seller accounts of `tenants` (a Tenant queryset);
    the queues, heartbeats and set-aside messages are the whole installation's."""
    now = now or timezone.now()
    with scopes_disabled():
        accounts = (
            SellerAccount.objects.filter(tenant__in=tenants)
            .annotate(sync_state=sync_state_expression(now=now))
            .select_related("tenant")
            .order_by("tenant__name", "marketplace", "region", "external_id")
        )
        states = []
        for state in STATE_LABELS:
            in_state = accounts.filter(sync_state=state)
            states.append(StateGroup(state=state, label=STATE_LABELS[state], count=in_state.count(),
                                     accounts=list(in_state[:ACCOUNTS_SHOWN_PER_STATE])))
    failing = next(group for group in states if group.state == "failing").accounts
    by_cause: dict[str, list[SellerAccount]] = {}
    for account in failing:
        by_cause.setdefault(failure_cause(account.last_sync_error), []).append(account)
    causes = sorted((FailureCause(cause, listed) for cause, listed in by_cause.items()),
                    key=lambda group: (-len(group.accounts), group.cause))
    problems = []
    try:
        depths = queue_depths()
    except redis.RedisError as error:
        depths = None
        problems.append(f"Queue depths unknown: the broker did not answer ({type(error).__name__}).")
    try:
        beat_age, worker_ages = heartbeats.heartbeat_beat_age(), heartbeats.heartbeat_worker_ages()
    except redis.RedisError as error:
        beat_age = worker_ages = None
        problems.append(f"Heartbeats unknown: Redis did not answer ({type(error).__name__}).")
    return OperationsOverview(
        states=states, failing_by_cause=causes, queue_depths=depths, beat_age=beat_age,
        worker_ages=worker_ages, set_aside_count=SetAsideTask.objects.count(),
        set_aside_recent=list(SetAsideTask.objects.order_by("-set_aside_at")[:SET_ASIDE_SHOWN]),
        problems=problems,
    )
