"""Staff work on the tenants of their teams, in every admin page: the admin matrix.

Every registered admin of a tenant's model (found in the admin site, not listed here) is tried by
sid, staff of a team working on Acme only, on Globex's object: its list and search do not show it,
and its change page and every page of admin's own that takes the object's id answer as for an
object that does not exist, or 403/404.
"""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, reverse

from accounts.models import Team, Tenant
from accounts.rls import across_tenants
from accounts.roles import staff_group_ensure
from tests import factories
from tests.two_factor import login_verified

MISSING_PK = 987_654_321


@pytest.fixture
def sid(acme):
    """Reimbursement staff in a team working on Acme only."""
    user = factories.make_user("sid", is_staff=True)
    user.groups.add(staff_group_ensure())
    team = Team.objects.create(name="Acme team")
    team.members.add(user)
    team.tenants.add(acme)
    return user


@pytest.fixture
def sid_client(client, sid):
    login_verified(client, sid)
    return client


def tenant_admins() -> list:
    return [model_admin for model, model_admin in admin.site._registry.items()
            if model is Tenant or any(field.name == "tenant" for field in model._meta.fields)]


def globex_object(model, globex):
    with across_tenants(reason="test: another tenant's object"):
        if model is Tenant:
            return globex
        return model._base_manager.filter(tenant=globex).order_by("pk").first()


def object_urls(model_admin, pk) -> list[str]:
    """The change page and every page of this admin that takes an object's id."""
    info = model_admin.opts.app_label, model_admin.opts.model_name
    urls = []
    for pattern in model_admin.get_urls():
        if isinstance(pattern, URLPattern) and pattern.name and "object_id" in str(pattern.pattern):
            urls.append(reverse(f"admin:{pattern.name}", args=[pk]))
    assert reverse("admin:%s_%s_change" % info, args=[pk]) in urls
    return urls


def answer(response) -> tuple:
    return response.status_code, response.get("Location")


def test_the_matrix_covers_every_tenant_model_of_admin():
    names = {model_admin.opts.label for model_admin in tenant_admins()}
    assert {"accounts.Tenant", "accounts.SellerAccount", "accounts.Membership", "cases.Case",
            "cases.ReimbursementRecord", "cases.CaseEvent", "sync.SyncRun"} <= names


@pytest.mark.parametrize("model_admin", tenant_admins(), ids=lambda model_admin: model_admin.opts.label)
def test_staff_of_another_team_never_reach_a_tenants_object(sid_client, two_tenants_everywhere, globex, model_admin):
    theirs = globex_object(model_admin.model, globex)
    assert theirs is not None, f"two_tenants_everywhere makes no {model_admin.opts.label} of Globex"
    for url in object_urls(model_admin, theirs.pk):
        response = sid_client.get(url)
        missing = sid_client.get(url.replace(f"/{theirs.pk}/", f"/{MISSING_PK}/"))
        assert response.status_code in (302, 403, 404), url
        assert answer(response) == answer(missing), f"{url} answers unlike an object that does not exist"
        assert b"Globex" not in response.content
    info = model_admin.opts.app_label, model_admin.opts.model_name
    changelist = reverse("admin:%s_%s_changelist" % info)
    change = reverse("admin:%s_%s_change" % info, args=[theirs.pk])
    response = sid_client.get(changelist)
    assert response.status_code in (200, 403), changelist
    assert "Globex" not in response.content.decode() and change not in response.content.decode(), changelist
    for term in ("Globex", "globex"):
        assert change not in sid_client.get(changelist, {"q": term}).content.decode(), f"{changelist}?q={term}"


def test_staff_see_their_teams_tenants(sid_client, two_tenants_everywhere, acme):
    response = sid_client.get(reverse("admin:accounts_tenant_changelist"))
    assert "Acme" in response.content.decode()
    response = sid_client.get(reverse("admin:accounts_tenant_change", args=[acme.pk]))
    assert response.status_code == 200


def test_a_tenant_offered_in_a_form_is_one_of_the_teams(sid_client, two_tenants_everywhere):
    body = sid_client.get(reverse("admin:accounts_membership_add")).content.decode()
    assert "Acme" in body and "Globex" not in body


def test_only_superusers_see_the_teams(sid_client, staff_user):
    assert sid_client.get(reverse("admin:accounts_team_changelist")).status_code == 403
    superuser = Client()
    login_verified(superuser, staff_user)
    assert superuser.get(reverse("admin:accounts_team_changelist")).status_code == 200
