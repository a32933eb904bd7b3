"""The tenants a staff member works on, as the staff pages that list tenants' data read them."""

from accounts.staff import staff_tenants
from tests import factories


def test_staff_tenants_are_every_tenant_for_staff_today_and_none_for_a_seller(acme, globex, alice, staff_user):
    reimbursement_staff = factories.make_user("stan", is_staff=True)

    assert set(staff_tenants(user=staff_user)) == {acme, globex}
    assert set(staff_tenants(user=reimbursement_staff)) == {acme, globex}
    assert list(staff_tenants(user=alice)) == []
