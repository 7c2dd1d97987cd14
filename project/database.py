"""The default database's settings: PostgreSQL in production, a SQLite file by default.

Connections persist (CONN_MAX_AGE) because opening a PostgreSQL connection per request
costs more than the whole click; health checks drop a connection the server has closed.
"""

import os
from pathlib import Path

import dj_database_url


def default(
    url: str, *, conn_max_age: int, connect_timeout: int, statement_timeout: int, data_dir: Path
) -> dict:
    """DATABASES["default"] for this URL, with every wait bounded (timeouts in seconds)."""
    settings = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    if settings["ENGINE"] == "django.db.backends.postgresql":
        _postgresql(settings, connect_timeout, statement_timeout)
    if settings["ENGINE"] == "django.db.backends.sqlite3":
        _sqlite(settings, data_dir)
    return settings


def _postgresql(settings: dict, connect_timeout: int, statement_timeout: int) -> None:
    """Every wait bounded (docs/timeouts.md); a parameter the URL sets itself wins.

    connect_timeout: the whole start-up of a connection. statement_timeout: the server's
    own limit per statement (`manage.py migrate` lifts it). Keepalives find an idle pooled
    connection whose peer vanished within a minute; tcp_user_timeout drops one whose sent
    bytes go unacknowledged for 10 s (the server's host gone mid-query). None of them ends
    a wait on a peer that acknowledges and never answers: a click's
    SHARELINKS_CLICK_DEADLINE does (sharelinks.deadline).
    """
    options = settings.setdefault("OPTIONS", {})
    statement_ms = statement_timeout * 1000
    options["options"] = f"-c statement_timeout={statement_ms} {options.get('options', '')}"
    options["options"] = options["options"].strip()
    for name, value in {
        "connect_timeout": connect_timeout,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "tcp_user_timeout": 10000,  # milliseconds
    }.items():
        options.setdefault(name, value)


def _sqlite(settings: dict, data_dir: Path) -> None:
    """WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a
    transaction starts, so concurrent clicks queue (busy timeout) instead of failing with
    "database is locked" when a read lock is upgraded mid-transaction.

    Tests use a file too: concurrent clicks from several threads need real SQLite locking,
    which an in-memory shared-cache database does not have; one file per test process, so
    two runs side by side never share a database.
    """
    Path(settings["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    settings["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    settings["TEST"] = {"NAME": str(data_dir / f"test-db-{os.getpid()}.sqlite3")}
