"""Two people, as in most tests here: alice belongs to Acme, charlie to Globex (tests that need
more people make them). charlie should have no access to alice's stuff.

The tests connect as the application's role, under row-level security (accounts/rls.py); the test
database is created and migrated by the owner's role (`django_db_modify_db_settings`,
`django_db_setup`). Outside a scope the test body itself (factories, assertions) may read and write
every tenant's rows in the database (`database_open_to_the_test`); a request the test client makes
starts with no tenant, as in production, and sees rows only through `tenant_view` or admin.

Tenant scopes are on, as in production: a query of a tenant's rows outside `scope(tenant=...)`
raises `ScopeError`. Tests read inside the scope of the tenant they look at (`acme_scope`, or
`scope(tenant=...)` in the test); a test that must read across tenants says why, beside its
`scopes_disabled()`. Creating rows needs no scope.
"""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scope, scopes_disabled
from django_scopes.state import state

from accounts import rls
from accounts.models import DigestSent, Membership, StaffView, Team
from accounts.roles import staff_group_ensure
from casetracker import ensure_database
from tests.database_roles import foreign_test_database_drop, roles_ensure
from ledger.models import SkuPrice
from sync.models import RunKind, SyncRun
from tests import factories
from tests.ledger.helpers import import_rows, row
from tests.two_factor import login_verified
from tests.worker_helpers import RedisServer


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


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """The test database is created and migrated by the owner's role, as production's migrations are."""
    app_role = settings.DATABASES["default"]["USER"]
    owner = roles_ensure(app_role)
    foreign_test_database_drop(settings.DATABASES["default"]["TEST"]["NAME"], owner=owner)
    settings.DATABASES["default"]["USER"] = owner
    settings.DATABASES["default"]["APP_ROLE"] = app_role


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then the tests run as the application's role: it may use the rows (and, to empty the tables
    between transactional tests, truncate them), under row-level security."""
    db = settings.DATABASES["default"]
    owner, app_role = db["USER"], db["APP_ROLE"]
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            ensure_database.grants_ensure(cursor.connection, owner=owner, app=app_role)
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{app_role}"')
        connection.close()
    db["USER"] = app_role
    yield
    with django_db_blocker.unblock():
        connection.close()
    db["USER"] = owner


@pytest.fixture(autouse=True)
def database_open_to_the_test():
    """Row-level security lets the test body itself (fixtures, factories, assertions made outside
    any scope) reach every tenant's rows, as `across_tenants` does; scopes stay on, and a scope the
    test enters, or a request it makes, narrows the database to that tenant as in production."""
    token = state.set({"_rls_all": True})
    yield
    state.reset(token)


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
def sam(db, acme, globex):
    """Reimbursement staff: a staff user in the group, not a superuser, in a team working on Acme and Globex."""
    user = factories.make_user("sam", is_staff=True)
    user.groups.add(staff_group_ensure())
    with rls.across_tenants(reason="test: a superuser's work in admin"):  # the test may be in a tenant's scope
        team = Team.objects.create(name="Acme and Globex")
        team.members.add(user)
        team.tenants.add(acme, globex)
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


@pytest.fixture
def two_tenants_everywhere(acme, globex, acme_amazon, globex_amazon):
    """A row of each tenant in every tenant table (the rollups and search keys by their triggers)."""
    with rls.across_tenants(reason="test: a superuser's work in admin"):
        Team.objects.create(name="Both tenants").tenants.add(acme, globex)
    for tenant, account in [(acme, acme_amazon), (globex, globex_amazon)]:
        member = factories.make_user(f"member-{tenant.slug}", tenant)
        factories.add_record(factories.make_case(account), "20.00", cash=1)
        with scope(tenant=tenant):
            SyncRun.objects.create(tenant=tenant, seller_account=account, kind=RunKind.FILE)
            DigestSent.objects.create(tenant=tenant, membership=Membership.objects.get(user=member),
                                      day=dt.date(2026, 11, 30), case_count=1)
            StaffView.objects.create(user=member, tenant=tenant, path=f"/t/{tenant.slug}/cases/")
            SkuPrice.objects.create(tenant=tenant, seller_account=account, sku="SKU-1", amount=Decimal("7.25"),
                                    currency="USD")
            import_rows(account, [row()])  # a ledger line, and the opportunity it makes
    connection.connection.execute("SELECT 1")  # the transaction holds the rows


@pytest.fixture
def own_redis(tmp_path, settings):
    """A redis-server of the test's own, named by REDIS_URL and the broker URL; stopped at the end."""
    server = RedisServer(tmp_path)
    server.start()
    settings.REDIS_URL = settings.CELERY_BROKER_URL = server.url
    yield server
    server.stop()
