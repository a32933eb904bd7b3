"""The tenants a staff member works on, as the staff pages that list tenants' data read them."""

from accounts.staff import staff_tenants
from tests import factories


def test_staff_tenants_are_their_teams_tenants_every_tenant_for_a_superuser_and_none_for_a_seller(
        acme, globex, alice):
    superuser = factories.make_user("root-user", is_staff=True, is_superuser=True)
    no_team = factories.make_user("stan", is_staff=True)
    acme_only = factories.make_user("ann", is_staff=True)
    factories.make_team("Acme team", members=[acme_only], tenants=[acme])

    assert set(staff_tenants(user=superuser)) == {acme, globex}
    assert set(staff_tenants(user=acme_only)) == {acme}
    assert list(staff_tenants(user=no_team)) == []
    assert list(staff_tenants(user=alice)) == []
