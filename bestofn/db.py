"""Database engine and sessions; schema changes only through Alembic (``bestofn.migrate``)."""

from __future__ import annotations

import threading
import time
import weakref
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlmodel import Session, SQLModel, create_engine

from bestofn.settings import get_settings


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return ping_when_idle(create_engine(url, pool_size=10, max_overflow=20))


PING_AFTER_IDLE_S = 10.0


def ping_when_idle(engine: Engine, idle_s: float = PING_AFTER_IDLE_S) -> Engine:
    """Check a pooled connection at checkout only when it sat unused ``idle_s`` or more; returns ``engine``.

    Why not ``pool_pre_ping``: it costs a round trip on every checkout, and a task checks out a
    connection for each of its writes, back to back. A connection used moments ago is alive;
    one that sat idle (a server restart, an idle timeout, a firewall may have dropped it) is
    pinged, and replaced if dead. A connection that dies in the seconds between two uses fails
    that one statement, which every caller already treats as a transient outage (the API
    answers 503, a worker retries the task), and that failure makes SQLAlchemy replace every
    older pooled connection.
    """
    @event.listens_for(engine.pool, "checkin")
    def _idle_from(_dbapi, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping_if_idle(dbapi, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except Exception as exc:  # the pool discards this connection and checks out a fresh one
            raise DisconnectionError(f"pooled connection idle {time.monotonic() - since:.0f} s is dead") from exc

    return engine


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(url or get_settings().effective_database_url)


_progress_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_progress_lock = threading.Lock()


def progress_engine(engine: Engine) -> Engine:
    """``engine``'s twin for writes that only record progress (a lease, a phase, re-runnable results).

    On PostgreSQL: autocommit (no BEGIN and COMMIT round trips around a single statement) and
    commits that do not wait for their disk flush (``synchronous_commit=off``): a database crash
    may lose the last such writes, never part of one, and any later durable commit flushes them
    first. One per engine, with a small pool of its own; SQLite uses ``engine`` itself.
    """
    if engine.dialect.name != "postgresql":
        return engine
    with _progress_lock:
        twin = _progress_engines.get(engine)
        if twin is None:
            twin = _progress_engines[engine] = ping_when_idle(create_engine(
                engine.url, pool_size=2, max_overflow=8, isolation_level="AUTOCOMMIT",
                connect_args={"options": "-c synchronous_commit=off"}))
        return twin


def insert_once(session: Session, row: SQLModel) -> bool:
    """Add and commit ``row``; False (rolled back) when a unique key says it is already there.

    How redelivered or resumed work stays idempotent: the second writer of the same row loses quietly.
    """
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def insert_all_once(session: Session, rows: list[SQLModel]) -> int:
    """``insert_once`` for a batch, in one commit; how many rows were new.

    The common case (none stored yet) is one round trip. If a unique key says some are
    already there (a redelivered wave), each row goes through ``insert_once`` instead; the
    batch is tried on copies, so the rows themselves carry no state from the failed flush.
    """
    if not rows:
        return 0
    session.add_all([type(row).model_validate(row.model_dump()) for row in rows])
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return sum(insert_once(session, row) for row in rows)
    return len(rows)


def dialect_insert(session: Session, table: type[SQLModel] | Table):  # type: ignore[no-untyped-def]
    """An INSERT for ``table`` with the database's ``on_conflict_do_*`` (PostgreSQL and SQLite spell it alike)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)
