"""Admin asks staff for a code from their authenticator (django-otp TOTP); operators enrol devices."""

import re
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, make_user
from tests.two_factor import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def enrol(username, *args):
    out = StringIO()
    call_command("otp_enrol", username, *args, stdout=out)
    return out.getvalue()


def test_staff_logged_in_without_a_verified_device_are_sent_to_the_admin_login(client, staff_user):
    TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    client.force_login(staff_user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_verified_by_their_device_are_let_into_admin(staff_client):
    response = staff_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_a_device_of_someone_else_does_not_verify_a_staff_member(client, staff_user):
    device = login_verified(client, make_user("other", is_staff=True))
    client.force_login(staff_user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()

    assert client.get(reverse("admin:index")).status_code == 302


def test_the_admin_login_refuses_the_right_password_without_the_code(client, staff_user):
    TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)

    response = client.post(reverse("admin:login"), {"username": "stacy", "password": PASSWORD})

    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_admin_login_lets_in_the_right_password_with_the_current_code(client, staff_user):
    device = TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"

    response = client.post(reverse("admin:login"), {
        "username": "stacy", "password": PASSWORD, "otp_device": device.persistent_id, "otp_token": code,
    })

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_enrolling_prints_the_otpauth_uri_and_secret_of_a_new_confirmed_device(staff_user):
    out = enrol("stacy")

    device = TOTPDevice.objects.get(user=staff_user)
    assert device.confirmed
    uri = re.search(r"otpauth://\S+", out).group()
    assert urlparse(uri).path.endswith("stacy")
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    assert f"secret: {secret}" in out


def test_enrolling_twice_is_refused_without_reset(staff_user):
    enrol("stacy")

    with pytest.raises(CommandError, match="already has a device; pass --reset"):
        enrol("stacy")
    assert TOTPDevice.objects.filter(user=staff_user).count() == 1


def test_reset_replaces_the_device_so_the_old_secret_stops_working(staff_user):
    enrol("stacy")
    old = TOTPDevice.objects.get(user=staff_user)

    enrol("stacy", "--reset")

    new = TOTPDevice.objects.get(user=staff_user)
    assert new.pk != old.pk
    assert new.key != old.key


def test_enrolling_a_seller_is_refused(alice):
    with pytest.raises(CommandError, match="'alice' is not staff"):
        enrol("alice")
    assert not TOTPDevice.objects.exists()


def test_enrolling_an_unknown_user_names_them():
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        enrol("nobody")
