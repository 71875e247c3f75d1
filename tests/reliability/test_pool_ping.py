"""A pooled connection is pinged at checkout only after it sat idle (``db.ping_when_idle``): one
the server dropped meanwhile is replaced without the caller seeing an error, and a busy
connection is not pinged at all."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from bestofn.db import ping_when_idle


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _pings(engine: Engine) -> list[int]:
    seen: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):  # type: ignore[no-untyped-def]
        seen.append(1)
        return real(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return seen


def test_an_idle_connection_the_server_dropped_is_replaced(pg_url: str) -> None:
    engine = ping_when_idle(create_engine(pg_url, pool_size=1, max_overflow=0), idle_s=0.2)
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        pings = _pings(engine)
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first and not pings  # used moments ago: reused, not pinged
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar_one()
        time.sleep(0.3)  # idle past idle_s: the next checkout pings, finds it dead, connects anew
        second = _backend_pid(engine)
        assert second != first and len(pings) == 1
    finally:
        engine.dispose()
        admin.dispose()


def test_checkouts_in_a_row_send_no_ping(pg_url: str) -> None:
    engine = ping_when_idle(create_engine(pg_url, pool_size=1, max_overflow=0), idle_s=60)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        pings = _pings(engine)
        for _ in range(5):
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        assert not pings and statements == ["SELECT 1"] * 5
    finally:
        engine.dispose()
