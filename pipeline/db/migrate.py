"""Apply the plain-SQL migrations in pipeline/db/migrations in order, each once, recorded in a table."""

from __future__ import annotations

from pathlib import Path

import psycopg2

from pipeline.settings import Settings

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same for every process applying migrations.
_LOCK_ID = 7_302_118


def pending(applied: set[str], directory: Path = MIGRATIONS_DIR) -> list[Path]:
    """Migration files not yet applied, in version order (the file name's numeric prefix)."""
    files = sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    return [path for path in files if path.stem not in applied]


def migrate(settings: Settings, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations, each in its own transaction; returns the versions applied now.

    An advisory lock makes concurrent callers (several workers starting at once) wait instead of racing.
    """
    conn = psycopg2.connect(settings.pg_dsn())
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        conn.autocommit = False
        applied_now: list[str] = []
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT version FROM schema_migrations")
                done = {row[0] for row in cur.fetchall()}
            conn.commit()
            for path in pending(done, directory):
                with conn, conn.cursor() as cur:
                    cur.execute(path.read_text())
                    cur.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (path.stem,))
                applied_now.append(path.stem)
        finally:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
        return applied_now
    finally:
        conn.close()
