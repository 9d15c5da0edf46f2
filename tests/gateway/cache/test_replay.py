"""Stored completions replay as valid OpenAI stream chunks, and chunks assemble back."""

from __future__ import annotations

import copy
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from gateway.cache.replay import assemble_chunks, is_complete_response, replay_as_chunks

TEXT: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": "gpt-4o-mini",
    "system_fingerprint": "fp_1",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Paris."},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14},
}

TOOLS: dict[str, Any] = {
    "id": "chatcmpl-2",
    "object": "chat.completion",
    "created": 1_700_000_001,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"c":1}'},
                    },
                    {"id": "call_b", "type": "function", "function": {"name": "time", "arguments": "{}"}},
                ],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        },
        {
            "index": 1,
            "message": {"role": "assistant", "content": "Second choice."},
            "logprobs": None,
            "finish_reason": "length",
        },
    ],
}


def test_text_completion_round_trips_through_chunks() -> None:
    chunks = replay_as_chunks(TEXT, include_usage=True)
    assert assemble_chunks(chunks) == TEXT


def test_tool_calls_and_several_choices_round_trip() -> None:
    assert assemble_chunks(replay_as_chunks(TOOLS)) == TOOLS


def test_replayed_chunks_validate_as_openai_chunks() -> None:
    for completion in (TEXT, TOOLS):
        ChatCompletion.model_validate(completion)
        for chunk in replay_as_chunks(completion, include_usage=True):
            ChatCompletionChunk.model_validate(chunk)
            assert chunk["object"] == "chat.completion.chunk"


def test_usage_chunk_only_when_asked() -> None:
    assert all("usage" not in c for c in replay_as_chunks(TEXT))
    last = replay_as_chunks(TEXT, include_usage=True)[-1]
    assert last["choices"] == [] and last["usage"] == TEXT["usage"]


def test_fragmented_upstream_stream_assembles_into_one_message() -> None:
    base = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    deltas = [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
        {"content": "lo"},
        {
            "tool_calls": [
                {"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]},
    ]
    chunks = [{**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    message = assemble_chunks(chunks)["choices"][0]["message"]
    assert message["content"] == "Hello"
    assert message["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
    ]


def test_truncated_stream_is_not_a_complete_response() -> None:
    chunks = replay_as_chunks(TEXT)[:-1]  # the finish_reason chunk never came
    assert not is_complete_response(assemble_chunks(chunks))
    assert is_complete_response(assemble_chunks(replay_as_chunks(TEXT)))


def test_errors_and_empty_bodies_are_not_complete_responses() -> None:
    assert not is_complete_response({"error": {"message": "boom"}})
    assert not is_complete_response({"object": "chat.completion", "choices": []})
    embeddings = {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1]}]}
    assert is_complete_response(embeddings)


def test_replay_does_not_mutate_the_stored_completion() -> None:
    before = copy.deepcopy(TOOLS)
    replay_as_chunks(TOOLS, include_usage=True)
    assert before == TOOLS


THINKING: dict[str, Any] = {
    "id": "msg_1",
    "object": "chat.completion",
    "created": 1_700_000_002,
    "model": "claude-test",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Sunny.",
                "reasoning_content": "Look it up.Then answer.",
                "thinking_blocks": [
                    {"type": "thinking", "thinking": "Look it up.", "signature": "sig-1"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "thinking", "thinking": "Then answer.", "signature": "sig-2"},
                ],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
}


def test_signed_thinking_round_trips_with_its_signatures() -> None:
    assert assemble_chunks(replay_as_chunks(THINKING)) == THINKING


def test_thinking_fragments_from_anthropic_assemble_into_signed_blocks() -> None:
    def delta(**fields: Any) -> dict[str, Any]:
        return {"id": "msg_1", "choices": [{"index": 0, "delta": fields, "finish_reason": None}]}

    chunks = [
        delta(role="assistant"),
        delta(reasoning_content="Look ", thinking_blocks=[{"type": "thinking", "thinking": "Look "}]),
        delta(reasoning_content="it up.", thinking_blocks=[{"type": "thinking", "thinking": "it up."}]),
        delta(thinking_blocks=[{"type": "thinking", "thinking": "", "signature": "sig-1"}]),
        delta(content="Sunny."),
        {"id": "msg_1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    message = assemble_chunks(chunks)["choices"][0]["message"]
    assert message["thinking_blocks"] == [
        {"type": "thinking", "thinking": "Look it up.", "signature": "sig-1"}
    ]
    assert message["reasoning_content"] == "Look it up." and message["content"] == "Sunny."


def test_reasoning_without_blocks_replays_as_reasoning_content() -> None:
    plain = copy.deepcopy(TEXT)
    plain["choices"][0]["message"]["reasoning_content"] = "Capital of France."
    assert assemble_chunks(replay_as_chunks(plain, include_usage=True)) == plain
