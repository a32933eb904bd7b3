"""What "ready" and "pollable" mean for a seller account: the model's properties, its QuerySet filters
with the same meaning, and the adapter registry agreeing with the accounts app on what can be polled."""

import datetime as dt
import itertools

import pytest

from accounts.models import POLLED_MARKETPLACES, Marketplace, SellerAccount, SyncBackend
from sync.adapters.registry import ADAPTERS, adapter_for
from tests.factories import make_seller_account

pytestmark = pytest.mark.usefixtures("acme_scope")

STARTED = dt.date(2026, 1, 5)


@pytest.fixture
def every_kind_of_account(acme):
    """One account for each combination of the fields readiness reads."""
    combinations = itertools.product(
        Marketplace, SyncBackend, [True, False], [STARTED, None], [False, True],
    )
    return [
        make_seller_account(
            acme, f"X{number:05d}", marketplace=marketplace, sync_backend=backend, connected=connected,
            service_initiated_on=started, needs_reconnect=reconnect,
        )
        for number, (marketplace, backend, connected, started, reconnect) in enumerate(combinations)
    ]


def test_the_ready_filter_picks_the_accounts_that_say_they_are_ready(every_kind_of_account):
    expected = {account.pk for account in every_kind_of_account if account.is_ready}
    assert set(SellerAccount.objects.ready().values_list("pk", flat=True)) == expected
    assert 0 < len(expected) < len(every_kind_of_account)


def test_the_pollable_filter_picks_the_accounts_that_say_they_are_pollable(every_kind_of_account):
    expected = {account.pk for account in every_kind_of_account if account.is_pollable}
    assert set(SellerAccount.objects.pollable().values_list("pk", flat=True)) == expected
    assert {(a.marketplace, a.sync_backend) for a in every_kind_of_account if a.is_pollable} == {
        (Marketplace.AMAZON, SyncBackend.SANDBOX), (Marketplace.AMAZON, SyncBackend.AMAZON_SP_API),
    }


def test_a_pollable_account_is_ready_connected_and_not_waiting_for_a_reconnect(every_kind_of_account):
    for account in every_kind_of_account:
        assert account.is_pollable == (
            account.is_ready and not account.needs_reconnect and account.backend_polls_marketplace
        )


@pytest.mark.parametrize(("changes", "problem"), [
    ({"connected": False}, "it is not connected"),
    ({"service_initiated_on": None}, "its reimbursement service has not been initiated"),
    ({"needs_reconnect": True}, "it needs reconnecting"),
    ({"sync_backend": SyncBackend.MANUAL},
     "there is nothing to poll for Amazon with the Manual (staff and report files only) backend"),
    ({"marketplace": Marketplace.WALMART, "needs_reconnect": True},
     "there is nothing to poll for Walmart with the Sandbox (simulated marketplace) backend"),
])
def test_the_poll_problem_says_first_what_keeps_a_poll_away(acme, changes, problem):
    account = make_seller_account(acme, **changes)
    assert account.poll_problem == problem
    assert not account.is_pollable


def test_a_pollable_account_has_no_poll_problem(acme_amazon):
    assert acme_amazon.poll_problem is None
    assert acme_amazon.is_pollable


def test_the_adapter_registry_polls_exactly_what_the_accounts_app_calls_pollable():
    assert set(POLLED_MARKETPLACES) == set(SyncBackend)
    for backend in SyncBackend:
        adapter_marketplaces = ADAPTERS[backend].marketplaces if backend in ADAPTERS else ()
        assert set(adapter_marketplaces) == set(POLLED_MARKETPLACES[backend]), backend
    assert all(POLLED_MARKETPLACES[backend] for backend in ADAPTERS), "an adapter with nothing to poll"


@pytest.mark.parametrize(("marketplace", "backend"), list(itertools.product(Marketplace, SyncBackend)))
def test_an_account_gets_an_adapter_when_its_backend_polls_its_marketplace(marketplace, backend):
    account = SellerAccount(marketplace=marketplace, sync_backend=backend)
    adapter = adapter_for(account)
    if marketplace in POLLED_MARKETPLACES[backend]:
        assert isinstance(adapter, ADAPTERS[backend])
    else:
        assert adapter is None
