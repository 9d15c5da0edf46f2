"""Prompt-token estimates that size reservations before the provider counts."""

from __future__ import annotations

from gateway.limits.estimate import NON_TEXT_PART_TOKENS, estimate_prompt_tokens


def test_chat_text_is_four_characters_per_token_plus_message_overhead() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * 400}]}
    assert estimate_prompt_tokens(body) == 100 + 1 + 4


def test_image_parts_are_charged_flat_not_by_base64_length() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 1_000_000}}
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "abcd"}, image]}]}
    assert estimate_prompt_tokens(body) == 1 + 1 + NON_TEXT_PART_TOKENS + 4


def test_embedding_input_list_is_counted() -> None:
    assert estimate_prompt_tokens({"input": ["abcd", "efgh"]}) == 2


def test_empty_body_estimates_zero() -> None:
    assert estimate_prompt_tokens({}) == 0
