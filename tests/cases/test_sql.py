"""The helpers that write the names `cases` defines into its SQL (`cases.sql`)."""

import pytest
from django.db import connection

from cases.models import CaseStatus
from cases.sql import label_case, literal


def test_a_literal_is_quoted_and_its_quotes_doubled():
    assert literal("open") == "'open'"
    assert literal("it's") == "'it''s'"


def test_a_literal_refuses_a_percent_sign():
    with pytest.raises(ValueError):
        literal("100%")


def test_every_status_reads_as_its_label_in_sql(db):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s, {label_case('s', CaseStatus)} FROM unnest(%s::text[]) AS s",
                       [list(CaseStatus.values)])
        assert dict(cursor.fetchall()) == dict(CaseStatus.choices)
