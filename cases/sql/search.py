"""SQL that keeps `cases_casesearchkey` right, as triggers.

Migration 0003 installed them with a frozen copy of `INSTALL` and `BACKFILL`; this is the
readable, generated form of the same text (see `cases.sql.rollups` on changing it).

A case's search keys are its identifiers, trimmed and upper-cased, and the words of its product
name (as PostgreSQL's `simple` text search splits them, upper-cased, at most 63 characters) each
after a space, which no trimmed identifier starts with: a word never answers a search by
identifier, nor an identifier a search by word. The empty ones are left out. The seller's search reads them by `starts_with`, which row-level security lets
PostgreSQL answer from the index (`cases.filters`); migration 0014 added the words.
Inserts are handled per statement (a bulk insert of cases is one INSERT ... SELECT); updates
per row, and only when an identifier really changed: the recompute UPDATE of a case's
status and figures never SETs these columns, so no trigger even fires for it.
"""

IDENTIFIERS = ("marketplace_case_id", "sku", "fnsku", "asin", "order_id", "shipment_id")
KEYED_COLUMNS = ("tenant_id", *IDENTIFIERS, "product_title")
WORD_MARK = " "
"""Starts every product-name word's key."""


def _words_of(row: str) -> str:
    """The words of `row`'s product name, as keys: each after `WORD_MARK`, within the key's 64 characters."""
    return (f"SELECT '{WORD_MARK}' || left(upper(w), 63) "
            f"FROM unnest(tsvector_to_array(to_tsvector('simple', coalesce({row}.product_title, '')))) AS w")


def _keys_of(row: str) -> str:
    """The distinct non-empty keys of `row`, as (tenant_id, key, case_id) rows."""
    keys = ", ".join(f"(upper(btrim({row}.{column})))" for column in IDENTIFIERS)
    return f"""SELECT DISTINCT {row}.tenant_id, k.key, {row}.id
    FROM {{rows}} CROSS JOIN LATERAL (VALUES {keys} UNION {_words_of(row)}) AS k(key)
    WHERE k.key <> ''"""


def _row_tuple(row: str) -> str:
    return "(" + ", ".join(f"{row}.{column}" for column in KEYED_COLUMNS) + ")"


INSERT_KEYS = "INSERT INTO cases_casesearchkey (tenant_id, key, case_id)"

INSERT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION cases_case_search_keys_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {INSERT_KEYS}
    {_keys_of("c").format(rows="new_rows AS c")};
    RETURN NULL;
END $$;
"""

UPDATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION cases_case_search_keys_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cases_casesearchkey WHERE case_id = OLD.id;
    {INSERT_KEYS}
    {_keys_of("c").format(rows="(SELECT NEW.*) AS c")};
    RETURN NULL;
END $$;
"""

TRIGGERS = f"""
CREATE TRIGGER cases_case_search_keys_insert AFTER INSERT ON cases_case
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION cases_case_search_keys_insert();
CREATE TRIGGER cases_case_search_keys_update AFTER UPDATE OF {", ".join(KEYED_COLUMNS)} ON cases_case
    FOR EACH ROW WHEN ({_row_tuple("OLD")} IS DISTINCT FROM {_row_tuple("NEW")})
    EXECUTE FUNCTION cases_case_search_keys_update();
"""

BACKFILL = f"""
{INSERT_KEYS}
{_keys_of("c").format(rows="cases_case AS c")}
ORDER BY 1, 2, 3;
ANALYZE cases_casesearchkey;
"""

INSTALL = "\n".join([INSERT_FUNCTION, UPDATE_FUNCTION, TRIGGERS])

UNINSTALL = """
DROP TRIGGER IF EXISTS cases_case_search_keys_insert ON cases_case;
DROP TRIGGER IF EXISTS cases_case_search_keys_update ON cases_case;
DROP FUNCTION IF EXISTS cases_case_search_keys_insert();
DROP FUNCTION IF EXISTS cases_case_search_keys_update();
"""
