"""Creates or drops a PostgreSQL database for store/benches/mlflow/run.sh.

    python pg.py create <url> <db>   # prints <url> with its database replaced by <db>
    python pg.py drop <url> <db>

<url> is MODELGATE_PG_URL (postgres://user@host:port/db); the database is created through a
connection to the URL's own database.
"""

import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg2


def with_database(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def main() -> int:
    action, url, db = sys.argv[1:4]
    dsn = url.replace("postgres://", "postgresql://", 1)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        if action == "create":
            cur.execute(f'CREATE DATABASE "{db}"')
            print(with_database(url, db))
        else:
            cur.execute(f'DROP DATABASE IF EXISTS "{db}"')
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
