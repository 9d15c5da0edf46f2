"""OpenAI wire translation: usage details, provider errors with their status and Retry-After."""

from __future__ import annotations

from gateway.providers.openai.translate import error_from_reply, usage_from


def test_usage_keeps_cached_and_reasoning_tokens() -> None:
    usage = usage_from(
        {
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 40,
                "prompt_tokens_details": {"cached_tokens": 60},
                "completion_tokens_details": {"reasoning_tokens": 25},
            }
        }
    )
    assert (usage.prompt_tokens, usage.completion_tokens) == (100, 40)
    assert (usage.cached_read_tokens, usage.reasoning_tokens) == (60, 25)


def test_missing_or_odd_usage_is_zero() -> None:
    assert usage_from(None).total_tokens == 0
    assert usage_from({"usage": {"prompt_tokens": "x", "completion_tokens": True}}).total_tokens == 0


def test_provider_error_keeps_status_type_code_and_retry_after() -> None:
    body = (
        b'{"error": {"message": "slow down", "type": "requests", "param": null,'
        b' "code": "rate_limit_exceeded"}}'
    )
    error = error_from_reply("openai_prod", 429, {"retry-after-ms": "1500"}, body)
    assert error.status == 429
    assert error.message == "openai error: slow down"
    assert (error.type, error.code, error.provider, error.retry_after_s) == (
        "requests",
        "rate_limit_exceeded",
        "openai_prod",
        1.5,
    )
    assert error.body()["provider"] == "openai_prod"


def test_non_json_error_body_still_maps_to_the_status() -> None:
    error = error_from_reply("p", 502, {}, b"<html>bad gateway</html>", label="groq")
    assert error.status == 502
    assert error.message == "groq error: status 502"
