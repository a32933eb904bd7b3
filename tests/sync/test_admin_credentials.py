"""Staff connect a seller account's SP-API credentials in admin, see its sync state, and poll it now."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Marketplace, SellerAccount, SyncBackend
from sync.crypto import secret_decrypt
from sync.models import PendingPoll, RunKind, SyncRun
from tests.factories import make_seller_account, make_team, make_user
from tests.two_factor import login_verified

pytestmark = pytest.mark.usefixtures("acme_scope")

CLIENT_ID = "amzn1.application-oa2-client.0123456789abcdef"
CLIENT_SECRET = "amzn1.oa2-cs.v1.s3cr3t-CLIENT-value"
REFRESH_TOKEN = "Atzr|IwEBIrefresh-TOKEN-value"
CREDENTIALS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN}
SECRETS = [CLIENT_SECRET, REFRESH_TOKEN, "s3cr3t-CLIENT", "refresh-TOKEN"]


@pytest.fixture
def acme_walmart(acme):
    return make_seller_account(
        acme, "10009999", marketplace=Marketplace.WALMART, region="", marketplace_ids=[],
        sync_backend=SyncBackend.MANUAL,
    )


def credentials_url(account):
    return reverse("admin:accounts_selleraccount_credentials", args=[account.pk])


def change_url(account):
    return reverse("admin:accounts_selleraccount_change", args=[account.pk])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_no_secret_in(page: str):
    for secret in SECRETS:
        assert secret not in page


def test_staff_store_credentials_encrypted_and_the_account_polls_through_sp_api(sam_client, acme_amazon):
    acme_amazon.needs_reconnect = True
    acme_amazon.save()
    response = sam_client.post(credentials_url(acme_amazon), CREDENTIALS)
    assert response.status_code == 302
    assert response.url == change_url(acme_amazon)
    account = SellerAccount.objects.get(pk=acme_amazon.pk)
    assert (account.sync_backend, account.needs_reconnect, account.lwa_client_id) == (
        SyncBackend.AMAZON_SP_API, False, CLIENT_ID)
    assert CLIENT_SECRET not in account.lwa_client_secret_encrypted
    assert REFRESH_TOKEN not in account.lwa_refresh_token_encrypted
    assert not SellerAccount.objects.filter(lwa_refresh_token_encrypted__contains="refresh-TOKEN").exists()
    assert secret_decrypt(ciphertext=account.lwa_client_secret_encrypted) == CLIENT_SECRET
    assert secret_decrypt(ciphertext=account.lwa_refresh_token_encrypted) == REFRESH_TOKEN


def test_the_credentials_page_never_shows_the_stored_secrets(sam_client, acme_amazon):
    sam_client.post(credentials_url(acme_amazon), CREDENTIALS)
    page = sam_client.get(credentials_url(acme_amazon))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="password"' in html
    assert_no_secret_in(html)
    assert CLIENT_ID not in html


def test_a_form_error_does_not_echo_the_secrets_and_stores_nothing(sam_client, acme_amazon):
    response = sam_client.post(credentials_url(acme_amazon), {**CREDENTIALS, "client_id": "not-a-client-id"})
    assert response.status_code == 200
    assert "client_id" in response.context["form"].errors
    html = response.content.decode()
    assert_no_secret_in(html)
    assert "not-a-client-id" not in html
    account = SellerAccount.objects.get(pk=acme_amazon.pk)
    assert (account.lwa_refresh_token_encrypted, account.sync_backend) == ("", SyncBackend.SANDBOX)


def test_a_missing_refresh_token_is_an_error(sam_client, acme_amazon):
    response = sam_client.post(credentials_url(acme_amazon), {**CREDENTIALS, "refresh_token": ""})
    assert "refresh_token" in response.context["form"].errors
    assert_no_secret_in(response.content.decode())


@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_without_the_change_permission_cannot_store_credentials(client, acme_amazon, method):
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_selleraccount"))
    make_team("Acme team", members=[viewer], tenants=[acme_amazon.tenant])
    login_verified(client, viewer)
    response = getattr(client, method)(credentials_url(acme_amazon), CREDENTIALS)
    assert response.status_code == 403
    assert SellerAccount.objects.get(pk=acme_amazon.pk).lwa_refresh_token_encrypted == ""
    assert credentials_url(acme_amazon) not in client.get(change_url(acme_amazon)).content.decode()


def test_a_walmart_account_has_no_sp_api_credentials(sam_client, acme_walmart):
    response = sam_client.post(credentials_url(acme_walmart), CREDENTIALS)
    assert response.status_code == 302
    assert messages_of(response) == ["Only Amazon accounts connect through SP-API."]
    assert SellerAccount.objects.get(pk=acme_walmart.pk).lwa_refresh_token_encrypted == ""
    assert credentials_url(acme_walmart) not in sam_client.get(change_url(acme_walmart)).content.decode()


def test_the_account_page_says_whether_credentials_are_stored_never_what_they_are(sam_client, acme_amazon):
    before = sam_client.get(change_url(acme_amazon)).content.decode()
    assert credentials_url(acme_amazon) in before
    assert "Connect SP-API credentials" in before
    sam_client.post(credentials_url(acme_amazon), CREDENTIALS)
    account = SellerAccount.objects.get(pk=acme_amazon.pk)
    html = sam_client.get(change_url(acme_amazon)).content.decode()
    assert "Refresh token stored" in html
    assert "_encrypted" not in html
    assert account.lwa_refresh_token_encrypted not in html
    assert account.lwa_client_secret_encrypted not in html
    assert_no_secret_in(html)
    assert CLIENT_ID not in html


def test_saving_the_account_page_keeps_the_stored_credentials(sam_client, acme_amazon):
    sam_client.post(credentials_url(acme_amazon), CREDENTIALS)
    form = sam_client.get(change_url(acme_amazon)).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    data.update(marketplace_ids="ATVPDKIKX0DER", service_initiated_on="2026-01-05", name="Renamed",
                lwa_refresh_token_encrypted="forged", lwa_client_id="forged")
    response = sam_client.post(change_url(acme_amazon), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    account = SellerAccount.objects.get(pk=acme_amazon.pk)
    assert account.name == "Renamed"
    assert account.lwa_client_id == CLIENT_ID
    assert secret_decrypt(ciphertext=account.lwa_refresh_token_encrypted) == REFRESH_TOKEN


def test_the_account_list_shows_the_sync_state(sam_client, acme_amazon):
    now = timezone.now()
    SellerAccount.objects.filter(pk=acme_amazon.pk).update(
        last_synced_at=now - dt.timedelta(hours=5), next_sync_at=now + dt.timedelta(hours=1),
        last_sync_failed_at=now, last_sync_error="The marketplace did not answer.", needs_reconnect=True,
    )
    response = sam_client.get(reverse("admin:accounts_selleraccount_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    for header in ["column-last_synced_at", "column-next_sync_at", "column-last_sync_failed",
                   "column-needs_reconnect"]:
        assert header in html
    row = response.context["cl"].result_list[0]
    assert response.context["cl"].model_admin.last_sync_failed(row) is True


def test_poll_now_writes_pollable_accounts_to_the_outbox_and_skips_manual_ones(
    sam_client, acme_amazon, acme_walmart, django_capture_on_commit_callbacks
):
    selected = [acme_amazon.pk, acme_walmart.pk]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = sam_client.post(
            reverse("admin:accounts_selleraccount_changelist"),
            {"action": "poll_now", "_selected_action": selected},
        )
    assert response.status_code == 302
    assert len(callbacks) == 1, "the outbox is published once the action commits"
    assert list(PendingPoll.objects.values_list("seller_account_id", "kind")) == [
        (acme_amazon.pk, RunKind.MANUAL_POLL)
    ]
    assert messages_of(response) == [
        "Queued a poll of 1 seller account.",
        "Not polled: Walmart 10009999 (there is nothing to poll for Walmart with the "
        "Manual (staff and report files only) backend).",
    ]
    assert not SyncRun.objects.exists()
    assert SellerAccount.objects.get(pk=acme_amazon.pk).last_synced_at is None


def test_staff_without_the_change_permission_have_no_poll_now_action(client, acme_amazon):
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_selleraccount"))
    make_team("Acme team", members=[viewer], tenants=[acme_amazon.tenant])
    login_verified(client, viewer)
    response = client.get(reverse("admin:accounts_selleraccount_changelist"))
    assert response.status_code == 200
    assert "poll_now" not in response.content.decode()
