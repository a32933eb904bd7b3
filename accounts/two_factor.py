"""Staff members' authenticator devices (django-otp TOTP), which admin asks a code of."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class EnrolmentRefused(Exception):
    """The device was not enrolled; the message says why and what to do."""


DEVICE_NAME = "authenticator"


@transaction.atomic
def staff_device_enrol(*, user: AbstractBaseUser, reset: bool) -> TOTPDevice:
    """Give a staff member a new TOTP device, confirmed, and return it (its `config_url` is shown once).

    A member who already has a device keeps it unless `reset` is given; then every device they had
    is deleted, so a lost or copied phone stops working at once.
    """
    if not user.is_staff:
        raise EnrolmentRefused(f"{user.get_username()!r} is not staff: only staff use admin and its second factor")
    existing = TOTPDevice.objects.devices_for_user(user, confirmed=None)
    if existing.exists() and not reset:
        raise EnrolmentRefused(
            f"{user.get_username()!r} already has a device; pass --reset to replace it (the old one stops working)"
        )
    existing.delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
