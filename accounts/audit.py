"""The audit log: who changed memberships, teams and marketplace credentials, and how."""

from .models import AuditEntry


def audit_record(*, actor, action: str, target: object, detail: str = "") -> AuditEntry:
    """Append one entry; entries are never changed or deleted (a database trigger refuses it)."""
    return AuditEntry.objects.create(actor=actor, action=action, target=str(target)[:300], detail=detail)
