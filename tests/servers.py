"""Real PostgreSQL and Redis servers for tests (pytest fixtures, reusable by any module).

With $TRADEOFFS_POSTGRES_URL / $TRADEOFFS_REDIS_URL set (CI starts both servers), the
fixtures use those servers and FAIL if they cannot be reached. Without them, they start a
throwaway server on a free loopback port from the installed binaries (PostgreSQL 15's
initdb/pg_ctl as the `postgres` user when run as root; redis-server) and stop it at the
end of the session, or skip with the reason when the binaries are missing.

Import the fixtures into a test module: ``from servers import postgres_url, redis_url``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tradeoffs.servers import (
    REDIS_URL_ENV,
    RedisUnavailable,
    connect_redis,
    free_port,
    start_redis_server,
)

# Debian's layout; the newest installed PostgreSQL.
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"),
    default=Path("/usr/lib/postgresql/15/bin"),
    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
)


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A SQLAlchemy URL of a reachable PostgreSQL database (see the module docstring)."""
    url = os.environ.get("TRADEOFFS_POSTGRES_URL")
    if url:
        import sqlalchemy

        engine = sqlalchemy.create_engine(url)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:
            pytest.fail(f"TRADEOFFS_POSTGRES_URL={url} is set but unreachable: {exc}")
        finally:
            engine.dispose()
        yield url
        return
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing)")
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run PostgreSQL")
    tmp = Path(tempfile.mkdtemp(prefix="tradeoffs-pg-"))
    if os.geteuid() == 0:
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
    data, port = tmp / "data", free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "tradeoffs", "--auth=trust"]),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-w"]
    subprocess.run(_as_postgres([*ctl, "-o", opts, "start"]), check=True, capture_output=True)
    try:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=tradeoffs dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE tradeoffs")
        yield f"postgresql+psycopg://tradeoffs@127.0.0.1:{port}/tradeoffs"
    finally:
        subprocess.run(_as_postgres([*ctl, "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh, private schema (dropped afterwards), so tests
    running in parallel against one server do not see each other's tables."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_server_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in postgres_server_url else "?"
    yield f"{postgres_server_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A reachable Redis URL (see the module docstring)."""
    url = os.environ.get(REDIS_URL_ENV)
    if url:
        try:
            connect_redis(url).close()
        except RedisUnavailable as exc:
            pytest.fail(f"{REDIS_URL_ENV}={url} is set but unreachable: {exc}")
        yield url
        return
    try:
        handle = start_redis_server()
    except RedisUnavailable as exc:
        pytest.skip(str(exc))
    with handle:
        yield handle.url
