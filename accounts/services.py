"""Writes a user makes for themselves."""

from django.db import transaction

from .models import DIGEST_NEEDS_EMAIL, Membership, Profile


class SettingsRefused(ValueError):
    """The settings break a rule; nothing was saved."""


def user_settings_update(*, user, email: str, time_zone: str, digests: dict[int, bool]) -> None:
    """Save the user's email address, time zone and, per membership id in `digests`, the daily digest.

    The digest goes by email: turning it on without an address is refused, and removing the address
    turns every digest of the user off.
    """
    email = email.strip()
    if not email and any(digests.values()):
        raise SettingsRefused(DIGEST_NEEDS_EMAIL.format(user=user.get_username()))
    with transaction.atomic():
        user.email = email
        user.save(update_fields=["email"])
        Profile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
        memberships = Membership.objects.select_for_update().filter(user=user)
        for membership in memberships:
            wanted = bool(email) and digests.get(membership.pk, membership.digest_opt_in)
            if membership.digest_opt_in != wanted:
                membership.digest_opt_in = wanted
                membership.save(update_fields=["digest_opt_in"])
