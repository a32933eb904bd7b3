"""Two people, as in most tests here: alice belongs to Acme, charlie to Globex (tests that need
more people make them). charlie should have no access to alice's stuff.

Tenant scopes are on, as in production: a query of a tenant's rows outside `scope(tenant=...)`
raises `ScopeError`. Tests read inside the scope of the tenant they look at (`acme_scope`, or
`scope(tenant=...)` in the test); a test that must read across tenants says why, beside its
`scopes_disabled()`. Creating rows needs no scope.
"""

import pytest
from django_scopes import scope

from accounts.roles import staff_group_ensure
from tests import factories


@pytest.fixture
def acme_scope(acme):
    """Acme's scope, for tests that call services and read rows as Acme's own requests and tasks do."""
    with scope(tenant=acme):
        yield


@pytest.fixture
def acme(db):
    return factories.make_tenant("Acme")


@pytest.fixture
def globex(db):
    return factories.make_tenant("Globex")


@pytest.fixture
def acme_amazon(acme):
    return factories.make_seller_account(acme, "A1ACMEAMAZON")


@pytest.fixture
def acme_amazon_eu(acme):
    """Acme's Amazon Europe account: where its EUR cases live (Amazon NA never pays in EUR)."""
    return factories.make_seller_account(
        acme, "A1ACMEAMAZEU", region="EU", marketplace_ids=["A1PA6795UKMFR9"]
    )


@pytest.fixture
def globex_amazon(globex):
    return factories.make_seller_account(globex, "A1GLOBEXAMAZ")


@pytest.fixture
def alice(acme):
    return factories.make_user("alice", acme)


@pytest.fixture
def charlie(globex):
    return factories.make_user("charlie", globex)


@pytest.fixture
def sam(db):
    """Reimbursement staff: a staff user in the group, not a superuser."""
    user = factories.make_user("sam", is_staff=True)
    user.groups.add(staff_group_ensure())
    return user


@pytest.fixture
def sam_client(client, sam):
    client.force_login(sam)
    return client


@pytest.fixture
def staff_user(db):
    return factories.make_user("stacy", is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def charlie_client(client, charlie):
    client.force_login(charlie)
    return client
