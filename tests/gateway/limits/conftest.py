"""Both counter stores behind one fixture: every semantic test runs in-process and on real Valkey."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
from valkey.asyncio import Valkey

from gateway.limits.memory import MemoryStore
from gateway.limits.store import LimitStore
from gateway.limits.valkey_store import ValkeyStore
from tests.services import ValkeyServer


class Clock:
    """A settable wall clock starting at the real time (Valkey key expiry is against real time)."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def prefix() -> str:
    """A key namespace of this test alone, so tests sharing the session's Valkey never collide."""
    return f"gw:test-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
async def valkey_client(valkey_server: ValkeyServer) -> AsyncIterator[Valkey]:
    client = Valkey.from_url(valkey_server.url, socket_timeout=2, socket_connect_timeout=2)
    yield client
    await client.aclose()


@pytest.fixture(params=["memory", "valkey"])
async def store(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[LimitStore]:
    if request.param == "memory":
        yield MemoryStore(clock)
        return
    server: ValkeyServer = request.getfixturevalue("valkey_server")
    client = Valkey.from_url(server.url, socket_timeout=2, socket_connect_timeout=2)
    yield ValkeyStore(client, clock)
    await client.aclose()
