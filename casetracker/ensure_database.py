"""Create the two database roles and the database if they do not exist yet (`make run`, `make bench`, tests).

- the owner (the user of `DATABASE_OWNER_URL`, default `casetracker_owner`) owns the database and its
  tables: migrations run as it;
- the application (the user of `DATABASE_URL`, default `casetracker_app`) owns nothing, is not a
  superuser and has no BYPASSRLS, so row-level security applies to every query it makes; it may read
  and write the rows of the tables (and use their sequences), nothing more.

It connects as `DATABASE_ADMIN_URL` (default `postgres:///postgres`: the local superuser), which must
be allowed to create roles and databases. A role given a password in its URL gets that password.
Safe to run twice; an existing database keeps its owner (README, "An existing database").
"""

import os

import environ
import psycopg
from psycopg import sql

DEFAULT_APP_URL = "postgres://casetracker_app@127.0.0.1/casetracker"
DEFAULT_OWNER_URL = "postgres://casetracker_owner@127.0.0.1/casetracker"


def _config(name: str, default: str) -> dict:
    return environ.Env().db_url_config(os.environ.get(name) or default)


def _connect(config: dict, **kwargs) -> psycopg.Connection:
    params = {"dbname": config.get("NAME"), "user": config.get("USER"), "password": config.get("PASSWORD"),
              "host": config.get("HOST"), "port": config.get("PORT")}
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True, **kwargs)


def owner_connect(dbname: str, *, host: str | None = None, port: int | str | None = None) -> psycopg.Connection:
    """The owner's role (`DATABASE_OWNER_URL`) on the database `dbname`, at `host` and `port` when given (else
    the URL's): for what only the tables' owner may do."""
    owner = _config("DATABASE_OWNER_URL", DEFAULT_OWNER_URL)
    return _connect({**owner, "NAME": dbname, "HOST": host or owner.get("HOST"), "PORT": port or owner.get("PORT")})


def role_ensure(conn: psycopg.Connection, *, name: str, password: str | None, owner: bool) -> None:
    """The role exists and can log in; the application's role is never superuser nor BYPASSRLS."""
    row = conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    if row is None:
        attributes = "LOGIN" if owner else "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        conn.execute(sql.SQL("CREATE ROLE {} " + attributes).format(sql.Identifier(name)))
        print(f"Created role {name}.")
    elif not owner and any(row):
        raise SystemExit(f"Role {name} is a superuser or has BYPASSRLS: row-level security would not apply to it."
                         " Use another role for the application.")
    if password:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))


def grants_ensure(conn: psycopg.Connection, *, owner: str, app: str) -> None:
    """Run in the database: the application may use what the owner creates there, now and later."""
    q = {"owner": sql.Identifier(owner), "app": sql.Identifier(app)}
    for statement in [
        "GRANT USAGE, CREATE ON SCHEMA public TO {owner}",
        "GRANT USAGE ON SCHEMA public TO {app}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE"
        " ON TABLES TO {app}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app}",
    ]:
        conn.execute(sql.SQL(statement).format(**q))


def main() -> None:
    app = _config("DATABASE_URL", DEFAULT_APP_URL)
    owner = _config("DATABASE_OWNER_URL", DEFAULT_OWNER_URL)
    admin = _config("DATABASE_ADMIN_URL", "postgres:///postgres")
    name = app["NAME"]
    if owner["NAME"] != name or not app.get("USER") or not owner.get("USER") or app["USER"] == owner["USER"]:
        raise SystemExit("DATABASE_URL and DATABASE_OWNER_URL must name the same database and two different users.")
    with _connect(admin) as conn:
        role_ensure(conn, name=owner["USER"], password=owner.get("PASSWORD"), owner=True)
        role_ensure(conn, name=app["USER"], password=app.get("PASSWORD"), owner=False)
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            print(f"Database {name} exists.")
        else:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner["USER"])))
            print(f"Created database {name}, owned by {owner['USER']}.")
    with _connect({**admin, "NAME": name}) as conn:
        grants_ensure(conn, owner=owner["USER"], app=app["USER"])
    print(f"{app['USER']} may read and write {name}'s rows, under row-level security.")


if __name__ == "__main__":
    main()
