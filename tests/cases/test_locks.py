"""The locks of `cases.locks`: transaction locks refuse autocommit; a lock held keeps another session out."""

import psycopg
import pytest
from django.db import connection, transaction

from cases.locks import LockNamespace, LockOutsideTransaction, account_poll_lock, rollups_lock, seller_account_lock
from cases.records import records_insert_staged


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
