"""Every write to cases, records and their history goes through these functions."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone

from .locks import seller_account_lock
from .models import Case, CaseEvent, CaseStatus, EventSource, ReimbursementRecord
from .sql.recompute import MATCH_SQL, RECOMPUTE_SQL
from .validation import (
    EDIT_REASON, CaseRefused, answer_date_problem, case_claim_problems, claim_changes, edit_reason_problem,
    reason_fields,
)

S = CaseStatus

STAFF_TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.NOT_ELIGIBLE, S.CLOSED},
    S.PARTIALLY_REIMBURSED: {S.NOT_ELIGIBLE, S.CLOSED},
    S.FULLY_REIMBURSED: {S.CLOSED},
    S.NOT_ELIGIBLE: {S.OPEN, S.CLOSED},
    S.CLOSED: {S.OPEN},
}
"""What staff may do. Partially and Fully Reimbursed come only from records (see `cases.sql.recompute`);
moving to Open from Not Eligible or Closed reopens the case, which then takes the status its
records give it."""


class TransitionNotAllowed(Exception):
    def __init__(self, case: Case, to_status: str, why: str):
        self.case, self.to_status = case, to_status
        target = CaseStatus(to_status).label if to_status in CaseStatus.values else repr(to_status)
        super().__init__(
            f"Case {case.marketplace_case_id} cannot go from {CaseStatus(case.status).label} "
            f"to {target}: {why}"
        )


def allowed_staff_targets(status: str) -> list[str]:
    return sorted(STAFF_TRANSITIONS.get(status, set()))


def case_create(*, case: Case, actor, reason: str = "Case filed") -> Case:
    """Record a new case as Open, then attach any reimbursements already reported for it.

    Refuses (`CaseRefused`, naming each field) a claim that `cases.validation` does not allow.
    """
    with transaction.atomic():
        problems = case_claim_problems(case=case, seller_account=case.seller_account)
        if problems:
            raise CaseRefused(problems)
        seller_account_lock(seller_account_id=case.seller_account_id)
        case.status = S.OPEN
        case.tenant_id = case.seller_account.tenant_id
        case.last_event_on = case.date_filed
        case.save()
        source = EventSource.STAFF if actor else EventSource.SYSTEM
        CaseEvent.objects.create(
            tenant_id=case.tenant_id, case=case, from_status="", to_status=S.OPEN, source=source, actor=actor,
            reason=reason, happened_on=case.date_filed,
        )
        records_match(seller_account_id=case.seller_account_id, case_ids=[case.pk], source=source, actor=actor,
                      reason="Reimbursements reported before the case was recorded")
        case.refresh_from_db()
        return case


STAFF_EDITABLE_FIELDS = [
    field.name
    for field in Case._meta.concrete_fields
    if field.editable and not field.primary_key
    and field.name not in {"status", "closed_on", "tenant", "seller_account"}
] + ["updated_at"]
"""What a staff edit writes: never the status or the figures, which a concurrent sync may be moving, nor
the case's seller account and tenant, which it keeps for life (its records belong to that account)."""


def case_update(*, case: Case, actor, reason: str = "") -> Case:
    """Save staff edits to a case's details.

    A change of the case ID, units, claimed amount or currency needs `reason`: the case's history
    gets a line naming what changed and why, the status follows with that reason, the records that
    no longer match (another case ID, another currency) leave the case, and those that now match
    join it. Refuses (`CaseRefused`, naming each field) what `cases.validation` does not allow,
    changing nothing.
    """
    with transaction.atomic():
        seller_account_lock(seller_account_id=case.seller_account_id)
        stored = Case.objects.select_for_update(of=("self",)).select_related("seller_account").get(
            pk=case.pk, tenant_id=case.tenant_id
        )
        fields = reason_fields(stored)
        changes = claim_changes(
            before={name: getattr(stored, name) for name in fields},
            after={name: getattr(case, name) for name in fields}, fields=fields,
        )
        problems = case_claim_problems(case=case, seller_account=stored.seller_account)
        if missing_reason := edit_reason_problem(changes=changes, reason=reason):
            problems[EDIT_REASON] = missing_reason
        if problems:
            raise CaseRefused(problems)

        case.save(update_fields=STAFF_EDITABLE_FIELDS)
        if not changes:
            case.refresh_from_db()
            return case
        reason = reason.strip()
        today = timezone.localdate()
        CaseEvent.objects.create(
            tenant_id=case.tenant_id, case=case, from_status=stored.status, to_status=stored.status,
            source=EventSource.STAFF, actor=actor, reason=f"Claim corrected ({'; '.join(changes)}): {reason}",
            happened_on=today,
        )
        Case.objects.filter(pk=case.pk, tenant_id=case.tenant_id).update(
            last_event_on=Greatest("last_event_on", Value(today)),
        )
        ReimbursementRecord.objects.filter(tenant_id=case.tenant_id, case=case).exclude(
            case_reference=case.marketplace_case_id, currency=case.currency
        ).update(case=None)
        attached = _records_attach(seller_account_id=case.seller_account_id, case_ids=[case.pk])
        cases_recompute(case_ids=[case.pk], source=EventSource.STAFF, actor=actor, reason=reason,
                        record_ids=[record_id for _, record_id in attached])
        case.refresh_from_db()
        return case


def case_transition(
    *, case: Case, to_status: str, actor, reason: str, expected_status: str | None = None,
    answered_on: dt.date | None = None,
) -> Case:
    """Staff records an outcome the marketplace only tells a human: Not Eligible, Closed, or reopens.

    `answered_on` is the day the marketplace answered (today when not given): the history line is
    dated by it, and so is the case's closing date. It cannot be in the future nor before the filing date.
    `expected_status` is the status the person saw: if the case has moved since, nothing changes.
    """
    with transaction.atomic():
        seller_account_lock(seller_account_id=case.seller_account_id)
        locked = Case.objects.select_for_update().get(pk=case.pk, tenant_id=case.tenant_id)
        if expected_status is not None and locked.status != expected_status:
            raise TransitionNotAllowed(
                locked, to_status,
                f"it changed to {CaseStatus(locked.status).label} meanwhile; look at it again",
            )
        if to_status not in STAFF_TRANSITIONS.get(locked.status, set()):
            why = (
                "that status comes from the marketplace's reimbursements"
                if to_status in (S.PARTIALLY_REIMBURSED, S.FULLY_REIMBURSED)
                else "that is not a step a case can take"
            )
            raise TransitionNotAllowed(locked, to_status, why)
        if not reason.strip():
            raise TransitionNotAllowed(locked, to_status, "a reason is required")
        answered_on = answered_on or timezone.localdate()
        if why := answer_date_problem(answered_on=answered_on, date_filed=locked.date_filed):
            raise TransitionNotAllowed(locked, to_status, why)

        from_status = locked.status
        locked.status = to_status
        locked.closed_on = answered_on if to_status in (S.NOT_ELIGIBLE, S.CLOSED) else None
        locked.last_event_on = max(locked.last_event_on, answered_on)
        locked.save(update_fields=["status", "closed_on", "last_event_on", "updated_at"])
        CaseEvent.objects.create(
            tenant_id=locked.tenant_id, case=locked, from_status=from_status, to_status=to_status,
            source=EventSource.STAFF, actor=actor, reason=reason.strip(), happened_on=answered_on,
        )
        if to_status == S.OPEN:
            cases_recompute(case_ids=[locked.pk], source=EventSource.STAFF, actor=actor,
                            reason="Reopened: status follows the reimbursements recorded",
                            happened_on=answered_on)
        locked.refresh_from_db()
        return locked


@dataclass(frozen=True)
class RecomputeResult:
    cases_changed: int
    status_changes: int


def cases_recompute(
    *, case_ids: list[int], source: str, reason: str, actor=None, record_ids: list[int] | None = None,
    happened_on: dt.date | None = None,
) -> RecomputeResult:
    """Derive recovered money, units and status of these cases from their records, in one statement.

    Writes a history entry for every status change and for every change of the recovered
    amount (naming `reason` and the newest record that touched the case, from `record_ids`: the
    records just added, whose ids are the highest of their cases). The
    rollups follow through the triggers in `cases.sql.rollups`. Running it twice changes
    nothing the second time.

    Each history line is dated by the approval date of that newest record; a change no
    reimbursement caused (a void, a reopen, a correction) by `happened_on`, or today.

    The caller holds `seller_account_lock` of the cases' account: every writer of an account's
    records and figures takes it, so this statement, started after the lock was granted, sees all
    their committed records and no one else moves these cases meanwhile.
    """
    if not case_ids:
        return RecomputeResult(0, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            RECOMPUTE_SQL,
            {
                "case_ids": list(case_ids),
                "first_new_record": min(record_ids) if record_ids else None,
                "source": source,
                "actor_id": getattr(actor, "pk", None),
                "reason": reason,
                "happened_on": happened_on or timezone.localdate(),
            },
        )
        changed, status_changes = cursor.fetchone()
    return RecomputeResult(changed, status_changes)


def _records_attach(
    *, seller_account_id: int, record_ids: list[int] | None = None, case_ids: list[int] | None = None
) -> list[tuple[int, int]]:
    """Set the case of matching unmatched records; return (case id, record id) pairs."""
    if record_ids is not None:
        scope, params = "r.id = ANY(%(ids)s::bigint[])", {"ids": list(record_ids)}
    elif case_ids is not None:
        scope, params = "c.id = ANY(%(ids)s::bigint[])", {"ids": list(case_ids)}
    else:
        raise ValueError("records_match needs record_ids or case_ids")
    with connection.cursor() as cursor:
        cursor.execute(MATCH_SQL.format(scope=scope), {"seller_account_id": seller_account_id, **params})
        return cursor.fetchall()


def records_match(
    *, seller_account_id: int, source: str, reason: str, actor=None,
    record_ids: list[int] | None = None, case_ids: list[int] | None = None,
) -> RecomputeResult:
    """Attach unmatched records to the case with the same case ID in the same seller account.

    Never across seller accounts: a case ID of another account, or another tenant, is not a match;
    nor across currencies: a record paid in another currency than the claim stays unmatched, for
    staff to look at, rather than counting its units without its cash. Limit the work to
    `record_ids` (new records) or `case_ids` (new cases).
    """
    with transaction.atomic():
        seller_account_lock(seller_account_id=seller_account_id)
        matched = _records_attach(seller_account_id=seller_account_id, record_ids=record_ids, case_ids=case_ids)
        affected = sorted({case_id for case_id, _ in matched})
        return cases_recompute(
            case_ids=affected, source=source, actor=actor, reason=reason,
            record_ids=[record_id for _, record_id in matched],
        )
