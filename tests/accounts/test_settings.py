"""A seller sets their own email address, daily digest and time zone; the digest only goes to an address."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Membership, Profile
from tests.factories import make_seller_account, make_user
from tests.two_factor import login_verified

pytestmark = pytest.mark.usefixtures("acme_scope")


def save(client, **fields):
    return client.post(reverse("settings"), {"time_zone": "UTC", "email": "", **fields})


def membership_of(user):
    return Membership.objects.get(user=user)


def test_a_seller_sets_email_digest_and_time_zone(alice_client, alice):
    membership = membership_of(alice)
    response = save(alice_client, email="alice@example.com", time_zone="America/New_York",
                    **{f"digest_{membership.pk}": "on"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.email, Profile.objects.get(user=alice).time_zone, membership_of(alice).digest_opt_in) == (
        "alice@example.com", "America/New_York", True)


def test_the_digest_without_an_email_address_is_refused_and_nothing_is_saved(alice_client, alice):
    membership = membership_of(alice)
    response = save(alice_client, time_zone="Europe/Paris", **{f"digest_{membership.pk}": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "alice has no email address: the daily digest goes by email. Add an address first."]
    assert not membership_of(alice).digest_opt_in and not Profile.objects.filter(user=alice).exists()


def test_removing_the_address_turns_the_digest_off(alice_client, alice):
    alice.email = "alice@example.com"
    alice.save()
    Membership.objects.filter(user=alice).update(digest_opt_in=True)
    save(alice_client, email="")
    assert not membership_of(alice).digest_opt_in


def test_an_unknown_time_zone_is_refused(alice_client, alice):
    response = save(alice_client, time_zone="Mars/Olympus_Mons")
    assert "time_zone" in response.context["form"].errors


def test_times_show_in_the_sellers_time_zone(alice_client, alice, acme):
    synced = dt.datetime(2026, 11, 30, 23, 53, tzinfo=dt.UTC)
    make_seller_account(acme, "A1TZ", last_synced_at=synced)
    save(alice_client, time_zone="Asia/Tokyo")
    page = alice_client.get(reverse("dashboard:index", args=[acme.slug])).content.decode()
    assert "12/01/2026 8:53 a.m. JST" in page


def test_staff_cannot_tick_the_digest_for_a_member_without_an_email(client, alice):
    staff = make_user("sam2", is_staff=True, is_superuser=True)
    login_verified(client, staff)
    membership = membership_of(alice)
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    response = client.post(url, {"user": alice.pk, "tenant": membership.tenant_id, "role": "standard",
                                 "digest_opt_in": "on"})
    assert response.status_code == 200
    assert "alice has no email address" in response.content.decode()
    assert not membership_of(alice).digest_opt_in
