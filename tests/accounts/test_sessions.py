"""A session left idle ends: after STAFF_SESSION_IDLE_MINUTES for staff, SELLER_SESSION_IDLE_MINUTES for sellers."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def minutes_left(client) -> float:
    session = Session.objects.get(session_key=client.session.session_key)
    return (session.expire_date - timezone.now()).total_seconds() / 60


def test_a_staff_session_expires_thirty_idle_minutes_after_the_last_request(staff_client):
    staff_client.get(reverse("admin:index"))

    assert 29 < minutes_left(staff_client) <= 30


def test_a_seller_session_expires_eight_idle_hours_after_the_last_request(alice_client, acme):
    alice_client.get(reverse("cases:overall", args=[acme.slug]))

    assert 8 * 60 - 1 < minutes_left(alice_client) <= 8 * 60


def test_the_idle_limits_come_from_the_settings(alice_client, acme, settings):
    settings.SELLER_SESSION_IDLE_MINUTES = 45

    alice_client.get(reverse("cases:overall", args=[acme.slug]))

    assert 44 < minutes_left(alice_client) <= 45


def minutes_pass(client, minutes: int, *, left: int):
    """As if `minutes` had passed since the clock was last restarted, leaving the session `left` minutes."""
    session = client.session
    session["idle_refreshed_at"] -= minutes * 60
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=left))


def test_a_request_a_minute_or_more_after_the_last_restart_restarts_the_idle_clock(alice_client, acme):
    minutes_pass(alice_client, 2, left=5)

    alice_client.get(reverse("cases:overall", args=[acme.slug]))

    assert minutes_left(alice_client) > 8 * 60 - 1


def test_requests_within_a_minute_do_not_write_the_session_again(alice_client, acme):
    Session.objects.filter(session_key=alice_client.session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=5))

    alice_client.get(reverse("cases:overall", args=[acme.slug]))

    assert minutes_left(alice_client) <= 5


def test_logging_in_starts_the_idle_clock(client, alice):
    client.force_login(alice)

    assert 8 * 60 - 1 < minutes_left(client) <= 8 * 60


def test_a_request_after_the_idle_limit_is_sent_to_log_in(alice_client, acme):
    alice_client.get(reverse("cases:overall", args=[acme.slug]))
    Session.objects.filter(session_key=alice_client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = alice_client.get(reverse("cases:overall", args=[acme.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
