"""Fixtures: a fake OpenAI upstream reporting realistic usage, migrated databases, a real gw server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.spend.gateway import SpendGateway, db_upgrade, write_config
from tests.integration.storage.databases import private_database

StartFn = Callable[..., SpendGateway]


def completion(
    model: str, *, prompt: int, output: int, cached: int = 0, reasoning: int = 0
) -> dict[str, Any]:  # Any: OpenAI JSON
    """A chat completion whose `usage` has OpenAI's cached and reasoning token details."""
    return {
        "id": "chatcmpl-spend",
        "object": "chat.completion",
        "created": 1764115200,
        "model": model,
        "system_fingerprint": "fp_spend",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Paris.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    }


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    """A fake OpenAI API on loopback for the module."""
    with FakeOpenAI("spend") as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_upstream(upstream: FakeOpenAI) -> None:
    upstream.reset()
    upstream.default = Reply(body=completion("gpt-4o-2024-08-06", prompt=20, output=10))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database migrated with `gw db upgrade`."""
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    db_upgrade(url)
    return url


@pytest.fixture(scope="module")
def pg_spend_url(pg_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for the module, migrated with `gw db upgrade`, dropped afterwards."""
    with private_database(pg_url, "gw_spend") as url:
        db_upgrade(url)
        yield url


@pytest.fixture
def start_gateway(upstream: FakeOpenAI, tmp_path: Path) -> Iterator[StartFn]:
    """Start real gw servers on `database_url` (and Valkey when given); stopped after the test."""
    started: list[SpendGateway] = []
    config_dir = write_config(tmp_path / "configs", upstream.url)

    def start(database_url: str, *, valkey_url: str | None = None) -> SpendGateway:
        spool = tmp_path / f"spool-{len(started)}.jsonl"
        gateway = SpendGateway(config_dir, database_url, spool, valkey_url=valkey_url).start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()
