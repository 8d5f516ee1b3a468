"""The local PostgreSQL is real: round trip, and migrations applied once and only once."""

from __future__ import annotations

import psycopg2

from pipeline.db.migrate import migrate
from pipeline.stack import postgres


def test_round_trip(stack, settings):
    with psycopg2.connect(settings.pg_dsn()) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE probe (id int PRIMARY KEY, note text)")
        cur.execute("INSERT INTO probe VALUES (%s, %s)", (1, "señal"))
        cur.execute("SELECT note FROM probe WHERE id = 1")
        assert cur.fetchone() == ("señal",)


def test_project_migrations_recorded_once(stack, settings):
    assert migrate(settings) == []  # the stack fixture already applied them
    with psycopg2.connect(settings.pg_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT version, count(*) FROM schema_migrations GROUP BY version HAVING count(*) > 1")
        assert cur.fetchall() == []
        cur.execute("SELECT to_regclass('audit_log') IS NOT NULL")
        assert cur.fetchone() == (True,)


def test_migrations_apply_in_order_and_only_once(stack, settings, tmp_path, unique_name):
    fresh = settings.with_changes(pg_db=unique_name.replace("-", "_"))
    postgres.ensure_database(fresh)
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first_table (id int);")
    (tmp_path / "0002_second.sql").write_text("INSERT INTO first_table VALUES (42);")
    assert migrate(fresh, tmp_path) == ["0001_first", "0002_second"]
    assert migrate(fresh, tmp_path) == []
    (tmp_path / "0003_third.sql").write_text("INSERT INTO first_table VALUES (43);")
    assert migrate(fresh, tmp_path) == ["0003_third"]
    with psycopg2.connect(fresh.pg_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT array_agg(id ORDER BY id) FROM first_table")
        assert cur.fetchone() == ([42, 43],)


def test_failed_migration_is_not_recorded(stack, settings, tmp_path, unique_name):
    fresh = settings.with_changes(pg_db=unique_name.replace("-", "_"))
    postgres.ensure_database(fresh)
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE ok_table (id int); SELEC nonsense;")
    try:
        migrate(fresh, tmp_path)
    except psycopg2.Error:
        pass
    else:
        raise AssertionError("a broken migration must raise")
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE ok_table (id int);")
    assert migrate(fresh, tmp_path) == ["0001_broken"]
