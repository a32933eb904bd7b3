"""Logging staff in for admin tests as admin requires: password and a verified authenticator."""

import django_otp
from django.http import HttpRequest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice


def login_verified(client: Client, user) -> TOTPDevice:
    """Log `user` in on `client` with a session verified by a TOTP device of theirs (made if missing).

    The same steps as the admin login after a right code: Django's login, then django_otp.login
    with the device. Admin's second factor stays on; this only stands for typing the code.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, device)
    request.session.save()
    return device
