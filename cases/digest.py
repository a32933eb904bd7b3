"""The daily digest: one email per opted-in member listing the tenant's cases reimbursed that day, and what the
apps above cases add to it (`digest_note_register`: the ledger's claim windows closing within a week)."""

import datetime as dt
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import DigestSent, Membership, Tenant
from accounts.rls import across_tenants

from .models import REIMBURSED_STATUSES, Case, CaseEvent, CaseStatus
from .money import plain

logger = logging.getLogger(__name__)


class DigestsNotSent(Exception):
    """Some digests of the day failed (each is logged); the others went out and stay sent."""

    def __init__(self, *, day: dt.date, sent: int, failed: int):
        self.day, self.sent, self.failed = day, sent, failed
        super().__init__(f"Digests of {day.isoformat()}: {sent} sent, {failed} failed (see the log); "
                         "running it again sends only the failed ones.")


@dataclass(frozen=True)
class DigestRun:
    """What one run did: the digests sent, and the members left out because they have no email
    address (`"username (tenant)"`), whom staff should give one or opt out."""

    sent: int
    without_email: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestLine:
    case_id: str
    seller_account: str
    status: str
    recovered: str
    claimed: str
    url: str


@dataclass(frozen=True)
class DigestNote:
    """A part of a tenant's digest that another app writes: a phrase for the subject and a paragraph."""

    subject: str
    text: str


DigestNoteSource = Callable[..., DigestNote | None]
"""Called as `source(tenant=..., day=...)` for each tenant with opted-in members; None when it has nothing
to say that day."""

DIGEST_NOTES: list[DigestNoteSource] = []


def digest_note_register(source: DigestNoteSource) -> None:
    """Add a part to every tenant's digest, from an app's `ready()`: the apps above cases (the ledger) write
    their part without cases importing them. A digest goes out when any part has something to say."""
    if source not in DIGEST_NOTES:
        DIGEST_NOTES.append(source)


def digest_cases(*, tenant: Tenant, day: dt.date) -> list[Case]:
    """Cases of `tenant` whose status moved to Partially or Fully Reimbursed during `day` (UTC).

    A fall back from Fully Reimbursed (a reversal) is not money received, and is left out."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    events = (
        CaseEvent.objects.filter(
            tenant=tenant, to_status__in=REIMBURSED_STATUSES,
            created_at__gte=start, created_at__lt=start + dt.timedelta(days=1),
        )
        .exclude(from_status=F("to_status"))
        .exclude(from_status=CaseStatus.FULLY_REIMBURSED)
        .select_related("case__seller_account")
        .order_by("case__marketplace_case_id", "case_id")
    )
    cases: dict[int, Case] = {}
    for event in events:
        cases.setdefault(event.case_id, event.case)
    return list(cases.values())


def _line(case: Case, tenant: Tenant) -> DigestLine:
    return DigestLine(
        case_id=case.marketplace_case_id,
        seller_account=case.seller_account.label,
        status=CaseStatus(case.status).label,
        recovered=f"{plain(case.recovered_amount)} {case.currency}",
        claimed=f"{plain(case.claimed_amount)} {case.currency}",
        url=settings.SITE_URL + reverse("cases:detail", args=[tenant.slug, case.pk]),
    )


def digest_yesterday() -> dt.date:
    """The day a digest run covers by default: yesterday, in UTC like the case history."""
    return timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)


def digest_send(*, day: dt.date) -> DigestRun:
    """Email the digest of `day` to each active, opted-in member with an email address.

    A deactivated user gets nothing. An opted-in member without an address, of a tenant that has
    a digest that day, is skipped, logged and named in the result.

    Each digest is claimed by inserting its `DigestSent` row before sending, in the same transaction:
    a second run (even a concurrent one) finds the row and sends nothing, and a failed send releases it
    for the next run. One member's failed send is logged and does not stop the others'; once all
    were tried, `DigestsNotSent` reports the failures, so that the task retries them.
    """
    with across_tenants(reason="daily digest: the opted-in members of every tenant"):
        memberships = (
            Membership.objects.filter(digest_opt_in=True, user__is_active=True)
            .select_related("user", "tenant")
            .order_by("tenant_id", "pk")
        )
        by_tenant: dict[Tenant, list[Membership]] = defaultdict(list)
        for membership in memberships:
            by_tenant[membership.tenant].append(membership)
        sent = failed = 0
        without_email: list[str] = []
        for tenant, members in by_tenant.items():
            lines = [_line(case, tenant) for case in digest_cases(tenant=tenant, day=day)]
            notes = [note for source in DIGEST_NOTES if (note := source(tenant=tenant, day=day)) is not None]
            if not lines and not notes:
                continue
            for membership in members:
                if not membership.user.email.strip():
                    without_email.append(f"{membership.user.get_username()} ({tenant.name})")
                    logger.warning("Digest of %s for %s skipped: %s opted in but has no email address",
                                   day, tenant.pk, membership.user.pk)
                    continue
                try:
                    sent += _send_one(membership=membership, day=day, lines=lines, notes=notes)
                except Exception:
                    failed += 1
                    logger.exception("Digest of %s for %s (membership %s) failed", day, tenant, membership.pk)
    if failed:
        raise DigestsNotSent(day=day, sent=sent, failed=failed)
    return DigestRun(sent=sent, without_email=tuple(without_email))


def one_line(text: str) -> str:
    """`text` fit for an email header: each run of whitespace or control characters becomes one space.

    Django refuses a header with a line break in it (`BadHeaderError`, its guard against header
    injection), so a tenant named with a newline would otherwise never get its digest.
    """
    spaced = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return " ".join(spaced.split())


def digest_subject(*, tenant: Tenant, day: dt.date, count: int, notes: list[DigestNote] = ()) -> str:
    name = one_line(tenant.name) or tenant.slug
    parts = [f"{count} case{'s' if count != 1 else ''} reimbursed on {day.isoformat()}"] if count else []
    parts.extend(one_line(note.subject) for note in notes)
    return f"{name}: {'; '.join(parts)}"


def _send_one(*, membership: Membership, day: dt.date, lines: list[DigestLine], notes: list[DigestNote]) -> bool:
    with transaction.atomic():
        _, created = DigestSent.objects.get_or_create(
            membership=membership, day=day,
            defaults={"tenant_id": membership.tenant_id, "case_count": len(lines)},
        )
        if not created:
            return False
        context = {"tenant": membership.tenant, "user": membership.user, "day": day, "lines": lines,
                   "notes": notes, "settings_url": settings.SITE_URL + reverse("settings")}
        send_mail(
            subject=digest_subject(tenant=membership.tenant, day=day, count=len(lines), notes=notes),
            message=render_to_string("cases/email/digest.txt", context),
            from_email=None,
            recipient_list=[membership.user.email],
        )
    return True
