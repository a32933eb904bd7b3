"""Enrol (or, with --reset, replace) a staff member's authenticator for admin's second factor."""

import base64

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.two_factor import EnrolmentRefused, staff_device_enrol


class Command(BaseCommand):
    help = (
        "Gives a staff member a new TOTP device and prints its otpauth:// URI and secret, once: "
        "give them to that person only. --reset replaces the device they have."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="delete the member's devices and enrol a new one")

    def handle(self, *args, username: str, reset: bool, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        try:
            device = staff_device_enrol(user=user, reset=reset)
        except EnrolmentRefused as refused:
            raise CommandError(str(refused)) from None
        secret = base64.b32encode(device.bin_key).decode()
        self.stdout.write(f"Enrolled a new authenticator for {username}. Add it to their app with this URI")
        self.stdout.write("(or type the secret in); it is not shown again:")
        self.stdout.write(f"  {device.config_url}")
        self.stdout.write(f"  secret: {secret}")
