"""A cached answer keeps its signed thinking: a cache hit, plain or streamed, gives the Anthropic SDK
the same thinking blocks, signatures intact, as the answer that was stored (so the client can send
them back on its next turn)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from compiler.specs import CacheSpec, SecretRef
from tests.fakes.anthropic_upstream import sign
from tests.gateway.runtime.builders import gateway, leaf, provider, route
from tests.integration.frontdoor.conftest import ENV
from tests.integration.gateway.server import wired_server

pytestmark = pytest.mark.integration

THINKING = {"type": "enabled", "budget_tokens": 1024}


@pytest.fixture
def cached(fakes: dict[str, Any]) -> Iterator[anthropic.Anthropic]:
    """An SDK client for a lenient Anthropic route with the exact cache (in-process, as `gw serve`)."""
    claude = provider(
        "claude", fakes["anthropic"].url, type="anthropic", api_key=SecretRef(env="GW_ANTHROPIC_KEY")
    )
    target = leaf("config", "claude", strict_openai_compliance=False, cache=CacheSpec(mode="simple"))
    server, _ = wired_server(gateway([claude], [route("cached", target)]), ENV)
    headers = {"x-portkey-config": "cached"}
    with server, anthropic.Anthropic(base_url=server.base, api_key="-", default_headers=headers) as sdk:
        yield sdk


def _ask(sdk: anthropic.Anthropic, question: str) -> Any:  # Any: the SDK's raw response
    return sdk.messages.with_raw_response.create(
        model="claude-test",
        max_tokens=2048,
        thinking=THINKING,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": question}],
    )


def _streamed(sdk: anthropic.Anthropic, question: str) -> tuple[str, Any]:  # Any: the final message
    with sdk.messages.stream(
        model="claude-test",
        max_tokens=2048,
        thinking=THINKING,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": question}],
    ) as stream:
        status = stream.response.headers.get("x-portkey-cache-status", "")
        return status, stream.get_final_message()


def _thinking(message: Any) -> list[tuple[str, str]]:  # Any: an SDK Message
    return [(b.thinking, b.signature) for b in message.content if b.type == "thinking"]


def test_a_cache_hit_returns_the_stored_thinking_with_its_signature(
    cached: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    first = _ask(cached, "Capital of France?")
    hit = _ask(cached, "Capital of France?")
    assert (first.headers["x-portkey-cache-status"], hit.headers["x-portkey-cache-status"]) == ("MISS", "HIT")
    stored = _thinking(first.parse())
    assert stored and all(signature == sign(text) for text, signature in stored)
    assert _thinking(hit.parse()) == stored
    assert len(fakes["anthropic"].requests) == 1


def test_a_streamed_answer_is_cached_and_replayed_with_its_signed_thinking(
    cached: anthropic.Anthropic, fakes: dict[str, Any]
) -> None:
    status, first = _streamed(cached, "Capital of Italy?")
    fakes_seen = len(fakes["anthropic"].requests)
    replayed_status, replayed = _streamed(cached, "Capital of Italy?")
    assert (status, replayed_status) == ("MISS", "HIT")
    assert _thinking(first) and _thinking(replayed) == _thinking(first)
    assert [b.type for b in replayed.content] == [b.type for b in first.content]
    assert len(fakes["anthropic"].requests) == fakes_seen
