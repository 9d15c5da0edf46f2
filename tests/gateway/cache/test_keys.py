"""Exact keys and semantic probes: what separates entries and what does not."""

from __future__ import annotations

from typing import Any

from gateway.cache.keys import exact_key, semantic_probe


def _body(question: str = "What is the capital of France?", **extra: Any) -> dict[str, Any]:
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": question}],
        **extra,
    }


def test_transport_and_bookkeeping_fields_do_not_change_the_key() -> None:
    plain = exact_key(_body(), "t1", "openai")
    noisy = _body(stream=True, stream_options={"include_usage": True}, user="u-1", metadata={"a": "b"})
    assert exact_key(noisy, "t1", "openai") == plain


def test_sampling_parameters_change_the_key() -> None:
    plain = exact_key(_body(), "t1", "openai")
    assert exact_key(_body(temperature=0.2), "t1", "openai") != plain
    assert exact_key(_body(response_format={"type": "json_object"}), "t1", "openai") != plain
    assert exact_key(_body(some_future_param=1), "t1", "openai") != plain


def test_partition_and_provider_change_the_key() -> None:
    plain = exact_key(_body(), "t1", "openai")
    assert exact_key(_body(), "t2", "openai") != plain
    assert exact_key(_body(), "t1", "azure") != plain


def test_key_ignores_dict_order_and_text_part_spelling() -> None:
    parts = {
        "messages": [
            {"content": "Be brief.", "role": "system"},
            {"role": "user", "content": [{"type": "text", "text": "What is the capital of France?"}]},
        ],
        "model": "gpt-4o-mini",
    }
    assert exact_key(parts, "t1", "openai") == exact_key(_body(), "t1", "openai")


def test_probe_is_the_last_user_message_and_context_excludes_it() -> None:
    a = semantic_probe(_body("What is the capital of France?"), "t1", "openai")
    b = semantic_probe(_body("Which city is France's capital?"), "t1", "openai")
    assert a is not None and b is not None
    assert a.text == "What is the capital of France?"
    assert a.context == b.context


def test_probe_context_separates_system_prompt_model_params_and_tenant() -> None:
    base = semantic_probe(_body(), "t1", "openai")
    other_system = _body()
    other_system["messages"][0]["content"] = "Answer in French."
    variants = [
        semantic_probe(other_system, "t1", "openai"),
        semantic_probe({**_body(), "model": "gpt-4o"}, "t1", "openai"),
        semantic_probe(_body(temperature=1.5), "t1", "openai"),
        semantic_probe(_body(tools=[{"type": "function", "function": {"name": "f"}}]), "t1", "openai"),
        semantic_probe(_body(), "t2", "openai"),
        semantic_probe(_body(), "t1", "anthropic"),
    ]
    assert base is not None
    assert all(v is not None and v.context != base.context for v in variants)


def test_long_conversations_tool_traffic_and_images_are_not_semantically_eligible() -> None:
    five = {"model": "m", "messages": [{"role": "user", "content": str(i)} for i in range(5)]}
    tool_result = {
        "model": "m",
        "messages": [
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]},
            {"role": "tool", "tool_call_id": "c", "content": "42"},
            {"role": "user", "content": "and now?"},
        ],
    }
    image = {
        "model": "m",
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]},
        ],
    }
    huge = _body("x" * 40_000)
    assistant_last = {"model": "m", "messages": [{"role": "assistant", "content": "hi"}]}
    for body in (five, tool_result, image, huge, assistant_last):
        assert semantic_probe(body, "t1", "openai") is None
