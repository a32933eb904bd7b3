"""Staff open a tenant's seller pages read-only ("view as seller"), each opening logged."""

import pytest
from django.urls import reverse

from accounts.models import StaffView
from accounts.rls import across_tenants
from accounts.roles import staff_group_ensure
from tests.factories import make_case, make_team, make_user
from tests.two_factor import login_verified

pytestmark = pytest.mark.usefixtures("acme_scope")


@pytest.fixture
def acme_case(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="4107000001")


def seller_urls(acme, case):
    return [reverse("cases:overall", args=[acme.slug]), reverse("cases:reimbursed", args=[acme.slug]),
            reverse("cases:detail", args=[acme.slug, case.pk]), reverse("dashboard:index", args=[acme.slug])]


def test_staff_see_what_the_seller_sees_read_only_and_each_opening_is_logged(sam_client, sam, acme, acme_case):
    urls = seller_urls(acme, acme_case)
    for url in urls:
        response = sam_client.get(url)
        assert response.status_code == 200
        assert "You are viewing Acme as its sellers see it, read-only." in response.content.decode()
    assert "4107000001" in sam_client.get(urls[0]).content.decode()
    logged = list(StaffView.objects.order_by("id").values_list("user__username", "tenant__slug", "path"))
    assert logged == [("sam", acme.slug, url) for url in [*urls, urls[0]]]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_staff_viewing_as_seller_can_change_nothing(sam_client, acme, acme_case, method):
    for url in seller_urls(acme, acme_case):
        assert getattr(sam_client, method)(url).status_code == 405
    assert not StaffView.objects.exists()


def test_staff_without_the_second_factor_get_404_like_anyone_else(client, sam, acme, acme_case):
    client.force_login(sam)
    assert client.get(reverse("cases:overall", args=[acme.slug])).status_code == 404
    assert not StaffView.objects.exists()


def test_staff_without_the_permission_to_view_cases_get_404(client, acme, acme_case):
    login_verified(client, make_user("newcomer", is_staff=True))
    assert client.get(reverse("cases:overall", args=[acme.slug])).status_code == 404
    assert not StaffView.objects.exists()


def test_staff_of_another_team_get_404_like_anyone_else(client, acme, globex, acme_case):
    staff = make_user("gina", is_staff=True)
    staff.groups.add(staff_group_ensure())
    make_team("Globex only", members=[staff], tenants=[globex])
    login_verified(client, staff)

    assert client.get(reverse("cases:overall", args=[acme.slug])).status_code == 404
    assert client.get(reverse("cases:overall", args=[globex.slug])).status_code == 200
    with across_tenants(reason="test: the log of both tenants"):
        assert list(StaffView.objects.values_list("tenant__slug", flat=True)) == [globex.slug]


def test_a_members_own_visit_is_not_a_staff_view(alice_client, acme, acme_case):
    html = alice_client.get(reverse("cases:overall", args=[acme.slug])).content.decode()
    assert "You are viewing" not in html and not StaffView.objects.exists()


def test_the_tenant_list_in_admin_links_to_its_seller_pages(sam_client, acme):
    html = sam_client.get(reverse("admin:accounts_tenant_changelist")).content.decode()
    assert f'<a href="{reverse("cases:overall", args=[acme.slug])}">View as seller</a>' in html


def test_staff_read_the_log_of_staff_views_and_cannot_change_it(sam_client, sam, acme, acme_case):
    sam_client.get(reverse("cases:overall", args=[acme.slug]))
    view = StaffView.objects.get()
    assert sam_client.get(reverse("admin:accounts_staffview_changelist")).status_code == 200
    assert sam_client.post(reverse("admin:accounts_staffview_delete", args=[view.pk]), {"post": "yes"}).status_code == 403
    assert StaffView.objects.filter(pk=view.pk).exists()
