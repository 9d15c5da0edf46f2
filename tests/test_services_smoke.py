"""The real services the suite depends on start and answer."""

from __future__ import annotations

import socket

from tests.services import ValkeyServer


def test_valkey_server_answers_ping(valkey_server: ValkeyServer) -> None:
    with socket.create_connection(("127.0.0.1", valkey_server.port)) as s:
        s.sendall(b"PING\r\n")
        assert s.recv(16) == b"+PONG\r\n"


def test_postgres_accepts_connections(pg_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar() == 1
    engine.dispose()
