"""Both login forms lock a username at one address after LOGIN_FAILURE_LIMIT wrong passwords (django-axes)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["login", "admin:login"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client, page, username, password, address="203.0.113.7"):
    return client.post(reverse(page), {"username": username, "password": password}, REMOTE_ADDR=address)


def fail_five_times(client, page, username, address="203.0.113.7"):
    for _ in range(5):
        response = log_in(client, page, username, "wrong-password", address)
        assert response.status_code != 302


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_five_wrong_passwords_lock_out_the_right_one_with_a_message(client, page):
    make_user("alice", is_staff=True)
    fail_five_times(client, page, "alice")

    response = log_in(client, page, "alice", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "Login locked" in text
    assert "after 5 failed attempts" in text
    assert "locked for 15 minutes" in text


def test_four_wrong_passwords_still_let_the_right_one_in(client):
    make_user("alice")
    for _ in range(4):
        log_in(client, "login", "alice", "wrong-password")

    assert log_in(client, "login", "alice", PASSWORD).status_code == 302


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_same_username_from_another_address_is_not_locked(client, page):
    make_user("alice", is_staff=True)
    fail_five_times(client, page, "alice", address="203.0.113.7")

    response = log_in(client, "login", "alice", PASSWORD, address="198.51.100.20")

    assert response.status_code == 302


def test_another_username_from_the_same_address_is_not_locked(client):
    make_user("alice")
    make_user("bob")
    fail_five_times(client, "login", "alice")

    assert log_in(client, "login", "bob", PASSWORD).status_code == 302


def test_the_lock_lifts_once_the_cool_off_has_passed(client):
    make_user("alice")
    fail_five_times(client, "login", "alice")
    assert log_in(client, "login", "alice", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - dt.timedelta(minutes=16))

    assert log_in(client, "login", "alice", PASSWORD).status_code == 302


def test_the_lock_holds_until_the_cool_off_has_passed(client):
    make_user("alice")
    fail_five_times(client, "login", "alice")
    log_in(client, "login", "alice", PASSWORD)

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - dt.timedelta(minutes=14))

    assert log_in(client, "login", "alice", PASSWORD).status_code == 429


def test_a_success_forgets_the_earlier_failures(client):
    make_user("alice")
    for _ in range(4):
        log_in(client, "login", "alice", "wrong-password")
    assert log_in(client, "login", "alice", PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        log_in(client, "login", "alice", "wrong-password")

    assert log_in(client, "login", "alice", PASSWORD).status_code == 302


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw_not_one_the_client_wrote(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    make_user("alice")
    for spoofed in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong-password"},
                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{spoofed}, 203.0.113.7")

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7")

    assert response.status_code == 429
