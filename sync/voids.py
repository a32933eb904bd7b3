"""Voiding an import: every record a SyncRun's report brought, taken back with a reason."""

from django.db import transaction
from django.utils import timezone

from cases.voids import VoidRefused, VoidResult, records_void
from sync.models import RunStatus, SyncRun


@transaction.atomic
def run_void(*, run: SyncRun, actor, reason: str) -> VoidResult:
    """Void the records `run` brought (`cases.voids.records_void`) and mark the run voided, naming who
    and why. Voiding it again changes nothing. Records entered by hand that the run confirmed stay:
    staff void those one by one."""
    locked = SyncRun.objects.select_for_update().get(pk=run.pk, tenant_id=run.tenant_id)
    if locked.status != RunStatus.SUCCEEDED:
        raise VoidRefused(f"Only a succeeded import can be voided; this one is {locked.get_status_display()}.")
    result = records_void(
        seller_account=locked.seller_account, actor=actor, reason=reason, sync_run_id=locked.pk,
        what=f"Import {locked.source or locked.pk}",
    )
    if locked.voided_at is None:
        locked.voided_at, locked.voided_by, locked.void_reason = timezone.now(), actor, " ".join(reason.split())
        locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
    run.refresh_from_db()
    return result
