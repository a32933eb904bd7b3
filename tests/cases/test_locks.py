"""The locks of `cases.locks`: transaction locks refuse autocommit; a lock held keeps another session out."""

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from django.db import OperationalError, connection, transaction

from cases.locks import LockNamespace, LockOutsideTransaction, account_poll_lock, rollups_lock, seller_account_lock
from cases.models import Case, CaseEvent, CaseStatus, EventSource, ReimbursementRecord
from cases.records import record_add_manual, records_insert_staged
from cases.services import case_create, case_transition, case_update, records_match
from cases.voids import record_void
from tests.factories import add_record, make_case

pytestmark = pytest.mark.usefixtures("acme_scope")


def other_session():
    settings = connection.settings_dict
    return psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                           user=settings["USER"] or None, dbname=settings["NAME"], autocommit=True)


def other_session_gets(sql, namespace, key):
    with other_session() as other:
        return other.execute(sql, [namespace, key]).fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_seller_account_lock_refuses_to_lock_outside_a_transaction():
    with pytest.raises(LockOutsideTransaction, match="inside transaction.atomic"):
        seller_account_lock(seller_account_id=1)


@pytest.mark.django_db(transaction=True)
def test_the_rollups_lock_refuses_to_lock_outside_a_transaction():
    with pytest.raises(LockOutsideTransaction):
        rollups_lock()


@pytest.mark.django_db(transaction=True)
def test_staged_records_are_refused_outside_a_transaction(acme_amazon):
    with pytest.raises(LockOutsideTransaction):
        records_insert_staged(seller_account=acme_amazon, staging_table="staged", columns=("sku",), source="x")


@pytest.mark.django_db(transaction=True)
def test_the_seller_account_lock_keeps_another_session_out_until_the_transaction_ends():
    try_lock = "SELECT pg_try_advisory_xact_lock(%s, %s)"
    with transaction.atomic():
        seller_account_lock(seller_account_id=42)
        assert not other_session_gets(try_lock, LockNamespace.SELLER_ACCOUNT, 42)
        assert other_session_gets(try_lock, LockNamespace.SELLER_ACCOUNT, 43), "another account is free"
    assert other_session_gets(try_lock, LockNamespace.SELLER_ACCOUNT, 42)


@pytest.mark.django_db(transaction=True)
def test_the_poll_lock_is_held_by_the_session_across_transactions_until_released():
    try_lock = "SELECT pg_try_advisory_lock(%s, %s)"
    with account_poll_lock(seller_account_id=42) as acquired:
        assert acquired
        with transaction.atomic():
            pass
        assert not other_session_gets(try_lock, LockNamespace.ACCOUNT_POLL, 42)
    assert other_session_gets(try_lock, LockNamespace.ACCOUNT_POLL, 42)


@pytest.mark.django_db(transaction=True)
def test_a_second_poll_lock_of_the_account_is_not_acquired():
    with other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LockNamespace.ACCOUNT_POLL, 42])
        with account_poll_lock(seller_account_id=42) as acquired:
            assert not acquired


def refused_while_the_account_is_locked_elsewhere(seller_account, write):
    """`write` waits for the seller account's lock that another session holds: with a short lock timeout it
    fails instead of writing past the lock. Needs a transactional test: inside the test's own transaction
    the account's lock, taken while building the data, would still be held."""
    with other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LockNamespace.SELLER_ACCOUNT, seller_account.pk])
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '100ms'")
            write()


def account_state(seller_account):
    return (
        list(Case.objects.filter(seller_account=seller_account).order_by("id").values()),
        list(ReimbursementRecord.objects.filter(seller_account=seller_account).order_by("id").values()),
        CaseEvent.objects.filter(case__seller_account=seller_account).count(),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("service", [
    "case_create", "case_update", "case_transition", "records_match", "record_add_manual", "record_void",
])
def test_every_writer_of_an_accounts_cases_and_records_waits_for_its_lock(acme_amazon, staff_user, service):
    case = make_case(acme_amazon, marketplace_case_id="1000001", units_claimed=2)
    record = add_record(case, "20.00", cash=1)
    edited = Case.objects.get(pk=case.pk)
    edited.units_claimed = 3
    writes = {
        "case_create": lambda: case_create(
            case=Case(seller_account=acme_amazon, marketplace_case_id="1000002", reimbursement_type="other",
                      units_claimed=1, claimed_amount=Decimal("5.00"), currency="USD",
                      date_filed=dt.date(2026, 1, 5)),
            actor=staff_user),
        "case_update": lambda: case_update(case=edited, actor=staff_user, reason="Three units"),
        "case_transition": lambda: case_transition(case=case, to_status=CaseStatus.CLOSED, actor=staff_user,
                                                   reason="Done"),
        "records_match": lambda: records_match(seller_account_id=acme_amazon.pk, case_ids=[case.pk],
                                               source=EventSource.STAFF, reason="Match"),
        "record_add_manual": lambda: record_add_manual(
            seller_account=acme_amazon, actor=staff_user, case_reference="1000001", reimbursement_id="M1",
            reason="Settlement", approval_date=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), currency="USD",
            amount_per_unit=Decimal("20"), amount_total=Decimal("20"), quantity_cash=1),
        "record_void": lambda: record_void(record=record, actor=staff_user, reason="Wrong line"),
    }
    before = account_state(acme_amazon)

    refused_while_the_account_is_locked_elsewhere(acme_amazon, writes[service])

    assert account_state(acme_amazon) == before
