"""Fixtures for the GitOps tooling tests: the example config, compiled once, and the live-server fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import CompiledGateway, compile_paths
from tests.integration.gateway.conftest import serve, upstreams

__all__ = ["CONFIGS", "compiled", "serve", "upstreams"]

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(scope="session")
def compiled() -> CompiledGateway:
    """The example config under configs/, compiled."""
    result = compile_paths([CONFIGS])
    assert result.gateway is not None
    return result.gateway
