"""Two people, as in most tests here: alice belongs to Acme, charlie to Globex (tests that need
more people make them). charlie should have no access to alice's stuff.

Tenant scopes are on, as in production: a query of a tenant's rows outside `scope(tenant=...)`
raises `ScopeError`. Tests read inside the scope of the tenant they look at (`acme_scope`, or
`scope(tenant=...)` in the test); a test that must read across tenants says why, beside its
`scopes_disabled()`. Creating rows needs no scope.
"""

import os

import pytest
from django_scopes import scope, scopes_disabled

from accounts.roles import staff_group_ensure
from tests import factories
from tests.two_factor import login_verified


def pytest_addoption(parser):
    parser.addoption("--stress", action="store_true",
                     help="Also run the tests marked `stress` (full counts, minutes each); STRESS=1 does the same.")


def _asked(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Skip the `stress` and `quickstart` tests unless asked for: `make test` stays quick, every other
    marker still selects."""
    skips = {}
    if not (config.getoption("--stress") or _asked("STRESS")):
        skips["stress"] = pytest.mark.skip(reason="stress test: run it with --stress or STRESS=1 (make stress)")
    if not _asked("QUICKSTART"):
        skips["quickstart"] = pytest.mark.skip(reason="quick start test (minutes): run it with QUICKSTART=1")
    for item in items:
        for marker, skip in skips.items():
            if item.get_closest_marker(marker):
                item.add_marker(skip)


@pytest.fixture
def across_tenants():
    """Scopes off, for a test that reads several tenants' rows from outside any request: the fault
    proofs checking every tenant's figures, the browser test setting up the demo. Each use says why."""
    with scopes_disabled():
        yield


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
    """sam in admin: logged in, and verified by an authenticator as admin requires."""
    login_verified(client, sam)
    return client


@pytest.fixture
def staff_user(db):
    return factories.make_user("stacy", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff_user):
    """stacy, a superuser, in admin: logged in and verified by an authenticator."""
    login_verified(client, staff_user)
    return client


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, verified by an authenticator as admin requires."""
    login_verified(client, admin_user)
    return client


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def charlie_client(client, charlie):
    client.force_login(charlie)
    return client
