"""Create the database named in DATABASE_URL if it does not exist yet (used by `make run`)."""

import environ
import psycopg
from psycopg import sql


def main() -> None:
    config = environ.Env().db_url("DATABASE_URL", default="postgres:///casetracker")
    name = config["NAME"]
    params = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            print(f"Database {name} exists.")
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"Created database {name}.")


if __name__ == "__main__":
    main()
