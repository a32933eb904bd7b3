"""The database roles the tests use: the application's (every test), the owner's (creating and
migrating the test database) and the cluster's superuser (only to do what neither may, and say so)."""

import os

import environ
import psycopg
from django.db import connection

from casetracker import ensure_database


def _url(name: str, default: str) -> dict:
    return environ.Env().db_url_config(os.environ.get(name) or default)


def admin_connect(dbname: str | None = None) -> psycopg.Connection:
    """The superuser of `DATABASE_ADMIN_URL` (default: the local one), on the test database unless named."""
    admin = _url("DATABASE_ADMIN_URL", "postgres:///postgres")
    return ensure_database._connect({**admin, "NAME": dbname or connection.settings_dict["NAME"]})


def roles_ensure(app_role: str) -> str:
    """Create the owner's and the application's roles if missing; the owner may create the test
    database. Returns the owner's role."""
    owner = _url("DATABASE_OWNER_URL", ensure_database.DEFAULT_OWNER_URL)["USER"]
    with admin_connect("postgres") as conn:
        for name, is_owner in [(owner, True), (app_role, False)]:
            try:
                ensure_database.role_ensure(conn, name=name, password=None, owner=is_owner)
            except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):  # created meanwhile by a concurrent test run
                pass
        conn.execute(f'ALTER ROLE "{owner}" CREATEDB')
    return owner


def foreign_test_database_drop(name: str, *, owner: str) -> None:
    """Drop the test database `name` if a role other than `owner` owns it (one made before the two roles
    existed, by a superuser): the owner could neither reuse nor drop it. It is only ever a test database."""
    with admin_connect("postgres") as conn:
        row = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]).fetchone()
        if row is not None and row[0] != owner:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def owner_connect() -> psycopg.Connection:
    """The owner's role (as migrations run) on the test database: for what only the tables' owner may do."""
    db = connection.settings_dict
    return ensure_database.owner_connect(db["NAME"], host=db.get("HOST"), port=db.get("PORT"))
