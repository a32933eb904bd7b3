"""Membership, team and credential changes are written to an audit log superusers read and nobody edits."""

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, Membership, Team
from accounts.rls import across_tenants
from tests.factories import make_user
from tests.sync.test_admin_credentials import CREDENTIALS, credentials_url
from tests.two_factor import login_verified


def entries() -> list[tuple[str, str, str]]:
    return [(entry.actor.get_username(), entry.action, entry.target) for entry in AuditEntry.objects.order_by("id")]


@pytest.fixture
def superuser_client(staff_user):
    client = Client()
    login_verified(client, staff_user)
    return client


def test_staff_adding_and_removing_a_membership_is_logged(sam_client, acme):
    bob = make_user("bob")
    sam_client.post(reverse("admin:accounts_membership_add"),
                    {"user": bob.pk, "tenant": acme.pk, "role": "standard"})
    with across_tenants(reason="test: reading what admin wrote"):
        membership = Membership.objects.get(user=bob)
    sam_client.post(reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert entries() == [("sam", "membership added", "bob in Acme"), ("sam", "membership deleted", "bob in Acme")]


def test_a_superuser_changing_a_team_is_logged_with_its_members_and_tenants(superuser_client, sam, acme):
    team = Team.objects.get(name="Acme and Globex")
    superuser_client.post(reverse("admin:accounts_team_change", args=[team.pk]),
                          {"name": team.name, "members": [sam.pk], "tenants": [acme.pk]})
    entry = AuditEntry.objects.get()
    assert (entry.actor.get_username(), entry.action, entry.target) == ("stacy", "team changed", "Acme and Globex")
    assert entry.detail == "members: sam; tenants: acme"


def test_storing_credentials_is_logged_without_the_secrets(sam_client, acme_amazon):
    sam_client.post(credentials_url(acme_amazon), CREDENTIALS)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target) == ("credentials stored", acme_amazon.label)
    assert not any(secret in entry.detail for secret in CREDENTIALS.values())


def test_the_database_refuses_to_change_or_delete_an_entry(sam):
    entry = AuditEntry.objects.create(actor=sam, action="membership added", target="bob in Acme")
    for statement in ("UPDATE accounts_auditentry SET action = 'nothing'", "DELETE FROM accounts_auditentry"):
        with pytest.raises(ProgrammingError, match="the audit log is append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
    assert AuditEntry.objects.get().action == "membership added" and entry.pk


def test_superusers_read_the_log_and_nobody_edits_it(superuser_client, sam_client, sam):
    entry = AuditEntry.objects.create(actor=sam, action="membership added", target="bob in Acme")
    assert superuser_client.get(reverse("admin:accounts_auditentry_changelist")).status_code == 200
    assert superuser_client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
    assert superuser_client.post(reverse("admin:accounts_auditentry_delete", args=[entry.pk]),
                                 {"post": "yes"}).status_code == 403
    assert sam_client.get(reverse("admin:accounts_auditentry_changelist")).status_code == 403
    assert AuditEntry.objects.count() == 1
