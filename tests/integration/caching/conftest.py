"""Fixtures: one fake OpenAI upstream for the session (reset per test) and a gateway factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.caching.gateway import CacheGateway, write_config

StartFn = Callable[..., CacheGateway]


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeOpenAI]:
    """A fake OpenAI API that records (and so counts) every call reaching it."""
    with FakeOpenAI("cache-upstream") as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_upstream(upstream: FakeOpenAI) -> None:
    upstream.reset()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the offline embedding model is laid out (once per session)."""
    return tmp_path_factory.mktemp("model")


@pytest.fixture
def start_gateway(upstream: FakeOpenAI, tmp_path: Path, model_dir: Path) -> Iterator[StartFn]:
    """Start a gw server for `routes` (route id → `cache:` mapping) with extra environment `env`."""
    started: list[CacheGateway] = []

    def start(
        routes: dict[str, str | None],
        env: dict[str, str] | None = None,
        policy: str = "",
        manifests: str = "",
    ) -> CacheGateway:
        config = write_config(tmp_path / f"config{len(started)}", upstream.url, routes, policy, manifests)
        base = {"GW_SEMANTIC_CACHE_URI": str(tmp_path / "lance"), "GW_MODEL_DIR": str(model_dir)}
        gw = CacheGateway(config, {**base, **(env or {})}).start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()
