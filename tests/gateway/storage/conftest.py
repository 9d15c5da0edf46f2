"""Fixtures for storage tests: a migrated SQLite file per test and an async engine on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.storage.database import make_async_engine
from gateway.storage.migrations import upgrade


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A freshly migrated SQLite database file."""
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    """An async engine on the migrated database."""
    eng = make_async_engine(sqlite_url)
    yield eng
    await eng.dispose()
