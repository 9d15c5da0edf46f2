"""Anthropic-only fields are removed from an OpenAI-family request without touching the caller's body."""

from __future__ import annotations

import copy

from gateway.providers.extras import strip_anthropic_extras
from gateway.providers.gemini.translate import build_request as gemini_request
from gateway.providers.ollama.translate import build_request as ollama_request

HINT = {"type": "ephemeral"}


def test_a_plain_openai_request_is_returned_as_is() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    out, dropped = strip_anthropic_extras(body)
    assert out is body and dropped == ()


def test_every_anthropic_field_is_removed_and_named_and_the_input_is_untouched() -> None:
    body = {
        "model": "gpt-4o",
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "rules", "cache_control": HINT}]},
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": "hello",
                "thinking_blocks": [{"type": "thinking", "thinking": "t", "signature": "s"}],
            },
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": [{"type": "text", "text": "22C", "cache_control": HINT}],
            },
        ],
        "tools": [{"type": "function", "function": {"name": "f"}, "cache_control": HINT}],
    }
    before = copy.deepcopy(body)
    out, dropped = strip_anthropic_extras(body)
    assert body == before
    assert dropped == ("cache_control", "thinking", "thinking_blocks")
    assert out == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "rules"}]},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "22C"}]},
        ],
        "tools": [{"type": "function", "function": {"name": "f"}}],
    }
    assert out["messages"][1] is body["messages"][1]  # unchanged messages are shared, not copied


def test_translating_adapters_name_the_nested_fields_they_cannot_carry() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": HINT}]},
            {
                "role": "assistant",
                "content": "yo",
                "thinking_blocks": [{"type": "redacted_thinking", "data": "x"}],
            },
            {"role": "user", "content": "again"},
        ],
    }
    for strict in (True, False):  # nowhere to put them on either kind of route
        assert gemini_request(body, strict=strict)[1].dropped == ("cache_control", "thinking_blocks")
        assert ollama_request(body, strict=strict, stream=False)[1].dropped == (
            "cache_control",
            "thinking_blocks",
        )
