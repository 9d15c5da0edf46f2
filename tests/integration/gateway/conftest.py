"""Fixtures: fake upstreams on loopback and a factory that serves a compiled gateway for real."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar

from compiler.specs import CompiledGateway
from gateway.app import create_app
from tests.fakes.loopback import all_running
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.server import ServeFn, serving

__all__ = ["ServeFn"]


@pytest.fixture(scope="session")
def upstreams() -> Iterator[dict[str, FakeOpenAI]]:
    """Three fake OpenAI upstreams, `a`, `b` and `c`, for the whole session."""
    with all_running({name: FakeOpenAI(name) for name in ("a", "b", "c")}) as fakes:
        yield fakes


@pytest.fixture(autouse=True)
def _fresh_upstreams(upstreams: dict[str, FakeOpenAI]) -> None:
    for fake in upstreams.values():
        fake.reset()


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServeFn]:
    """Start the real server on a compiled gateway; stopped at the end of the test."""
    monkeypatch.setenv("GW_TEST_KEY", "sk-test-not-a-real-key")

    def build(compiled: CompiledGateway, **kwargs: Any) -> Litestar:  # Any: create_app options
        return create_app(compiled, **{"admin_token": "admin-secret", **kwargs})

    yield from serving(build)
