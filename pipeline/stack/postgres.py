"""The local PostgreSQL server: a private cluster under the state directory, on loopback."""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg2 import sql

from pipeline.errors import StackError
from pipeline.settings import DB_PURPOSES, Settings
from pipeline.stack.prereqs import postgres_bindir
from pipeline.stack.process import port_open

SUPERUSER = "postgres"


@dataclass(frozen=True)
class PostgresPaths:
    """Files of the local cluster under the state directory."""

    root: Path

    @classmethod
    def of(cls, settings: Settings) -> PostgresPaths:
        """Paths for the cluster configured by `settings`."""
        return cls(settings.state_dir / "postgres")

    data = property(lambda self: self.root / "data")
    log = property(lambda self: self.root / "server.log")


def _as_server_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: when we are root, run it as the 'postgres' system user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str], what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(_as_server_user(argv), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise StackError(f"{what} failed: {(result.stdout + result.stderr).strip()[-400:]}")
    return result


def _prepare_dirs(paths: PostgresPaths) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        for path in (paths.root, *paths.root.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)


def init_cluster(settings: Settings, paths: PostgresPaths) -> bool:
    """Create the cluster once (superuser password from settings); True if created now."""
    if (paths.data / "PG_VERSION").exists():
        return False
    bindir = postgres_bindir()
    _prepare_dirs(paths)
    pwfile = paths.root / ".pwfile"
    pwfile.write_text(settings.pg_password.reveal() + "\n")
    pwfile.chmod(0o600)
    _prepare_dirs(paths)
    try:
        _run([str(bindir / "initdb"), "-D", str(paths.data), "-U", SUPERUSER, f"--pwfile={pwfile}",
              "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"],
             "initdb")
    finally:
        pwfile.unlink(missing_ok=True)
    return True


def is_running(paths: PostgresPaths) -> bool:
    """True if the cluster's postmaster (found through its pid file) is alive."""
    if not (paths.data / "PG_VERSION").exists():
        return False
    result = subprocess.run(  # noqa: S603
        _as_server_user([str(postgres_bindir() / "pg_ctl"), "status", "-D", str(paths.data)]),
        capture_output=True, text=True, check=False,
    )
    return result.returncode == 0


def accepts_connections(settings: Settings, user: str | None = None, dbname: str | None = None) -> bool:
    """True if a real connection (and `SELECT 1`) succeeds."""
    import psycopg2

    try:
        with psycopg2.connect(settings.pg_dsn(dbname=dbname, user=user)) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchone() == (1,)
    except psycopg2.Error:
        return False


def ensure_login_roles(cur: Any, settings: Settings) -> list[str]:
    """Create or update the least-privilege login roles with their passwords from settings (needs CREATEROLE)."""
    users = []
    for purpose in DB_PURPOSES:
        user, password = settings.db_role(purpose)
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
        verb = "ALTER" if cur.fetchone() else "CREATE"
        cur.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(user)), (password.reveal(),))
        users.append(user)
    return users


def ensure_database(settings: Settings) -> None:
    """Create the schema owner, the least-privilege login roles and the database if missing (idempotent).

    The roles' passwords are (re)set from settings each time, so a changed setting takes effect at `stack up`.
    """
    import psycopg2

    conn = psycopg2.connect(settings.pg_dsn(dbname="postgres", user=SUPERUSER))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (settings.pg_user,))
            if cur.fetchone() is None:
                cur.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(settings.pg_user)),
                    (settings.pg_password.reveal(),),
                )
            ensure_login_roles(cur, settings)
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.pg_db,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(settings.pg_db), sql.Identifier(settings.pg_user)))
    finally:
        conn.close()


def start(settings: Settings, timeout_s: float = 60.0) -> str:
    """Start the cluster unless running, create role and database, wait until it accepts connections."""
    paths = PostgresPaths.of(settings)
    created = init_cluster(settings, paths)
    if not is_running(paths):
        if port_open(settings.pg_port, settings.pg_host):
            raise StackError(f"port {settings.pg_port} is taken by another program; set TRACEPIPE_PG_PORT")
        _prepare_dirs(paths)
        options = f"-p {settings.pg_port} -k {paths.root} -c listen_addresses={settings.pg_host}"
        _run([str(postgres_bindir() / "pg_ctl"), "start", "-D", str(paths.data), "-l", str(paths.log),
              "-o", options, "-w", "-t", str(int(timeout_s))], "starting PostgreSQL")
        state = "started"
    else:
        state = "already running"
    deadline = time.monotonic() + timeout_s
    while not accepts_connections(settings, user=SUPERUSER, dbname="postgres"):
        if time.monotonic() > deadline:
            raise StackError(f"PostgreSQL did not accept connections within {timeout_s:.0f} s; see {paths.log}")
        time.sleep(0.3)
    ensure_database(settings)
    return f"{state}{' (new cluster)' if created else ''} on {settings.pg_host}:{settings.pg_port}"


def stop(settings: Settings) -> bool:
    """Stop the cluster (by its pid file, via pg_ctl); True if it was running."""
    paths = PostgresPaths.of(settings)
    if not is_running(paths):
        return False
    _run([str(postgres_bindir() / "pg_ctl"), "stop", "-D", str(paths.data), "-m", "fast", "-w"],
         "stopping PostgreSQL")
    return True


def status(settings: Settings) -> tuple[bool, str]:
    """(running, description) for the status table."""
    paths = PostgresPaths.of(settings)
    if not is_running(paths):
        return False, f"not running (data in {paths.data})"
    ok = accepts_connections(settings)
    where = f"{settings.pg_host}:{settings.pg_port}/{settings.pg_db}"
    return ok, where + ("" if ok else " (not accepting connections)")
