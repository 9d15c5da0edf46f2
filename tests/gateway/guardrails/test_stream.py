"""Output guardrails on streams: text is redacted or denied before the offending part is emitted."""

from __future__ import annotations

from typing import Any

from gateway.guardrails import GuardrailEngine
from gateway.ports import CheckContext, StreamFilter
from tests.gateway.guardrails.build import chat, guardrail

CTX = CheckContext()
CARD_DIGITS = ("4111", "1111")


def chunk(content: str | None = None, *, finish: str | None = None, role: bool = False) -> dict[str, Any]:
    delta: dict[str, Any] = {"role": "assistant"} if role else {}
    if content is not None:
        delta["content"] = content
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


# The 5th chunk completes a card number whose first half arrived in the 4th.
STREAM = [
    chunk("", role=True),
    chunk("Sure, " + "lorem ipsum " * 15),
    chunk("here it is. "),
    chunk("The card is 4111 1111 "),
    chunk("1111 1111 and it expires soon."),
    chunk(" Anything else?"),
    chunk(finish="stop"),
]


def emitted_text(chunks: list[dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def make(action: str, **fields: Any) -> StreamFilter:
    engine = GuardrailEngine(
        (guardrail("pii", ("pii", {}), action=action, applies_to=("output",), **fields),)
    )
    found = engine.stream_filter(("pii",), chat("card?"), CTX)
    assert found is not None
    return found


def test_card_split_across_chunks_is_redacted_before_any_digit_is_emitted() -> None:
    f = make("redact")
    sent: list[dict[str, Any]] = []
    for i, c in enumerate(STREAM, start=1):
        step = f.feed(c)
        assert step.deny is None
        sent.extend(step.emit)
        assert not any(d in emitted_text(sent) for d in CARD_DIGITS)
        if i == 4:
            assert emitted_text(sent).startswith("Sure, lorem ipsum")  # text flows while the card is held
    tail, outcome = f.finish()
    sent.extend(tail.emit)
    text = emitted_text(sent)
    assert (
        text
        == "Sure, "
        + "lorem ipsum " * 15
        + "here it is. The card is [CREDIT_CARD_REDACTED] and it expires soon. Anything else?"
    )
    assert outcome.verdict == "pass"
    assert outcome.redacted == ("credit_card",)
    assert outcome.hook_results[0]["redacted"] == {"credit_card": 1}
    assert sent[-1]["choices"][0]["finish_reason"] == "stop"


def test_card_split_across_chunks_is_denied_before_its_text_is_emitted() -> None:
    f = make("deny")
    sent: list[dict[str, Any]] = []
    denied_at = None
    for i, c in enumerate(STREAM, start=1):
        step = f.feed(c)
        sent.extend(step.emit)
        if step.deny is not None:
            denied_at = i
            assert step.deny.verdict == "deny"
            assert step.deny.hook_results[0]["deny"] is True
            break
    assert denied_at == 5
    assert emitted_text(sent).startswith("Sure, lorem ipsum")
    assert "4111" not in emitted_text(sent)
    assert "1111" not in emitted_text(sent)
    _, outcome = f.finish()
    assert outcome.verdict == "deny"


def test_text_far_behind_the_window_is_released_as_the_stream_goes() -> None:
    f = make("redact")
    words = [chunk(f"word{i} ") for i in range(100)]
    sent = [e for c in words for e in f.feed(c).emit]
    assert emitted_text(sent).startswith("word0 word1 ")
    assert len("".join(f"word{i} " for i in range(100))) - len(emitted_text(sent)) <= 2 * 128


def test_flag_guardrails_hold_nothing_back_and_judge_at_the_end() -> None:
    f = make("flag")
    sent = [e for c in STREAM for e in f.feed(c).emit]
    assert "4111 1111 " in emitted_text(sent)
    _, outcome = f.finish()
    assert outcome.verdict == "flag"
    assert outcome.hook_results[0]["checks"][0]["data"] == {"detected": {"credit_card": 1}}


def test_end_mode_verdict_rides_on_finish() -> None:
    engine = GuardrailEngine(
        (guardrail("len", ("wordCount", {"minWords": 50}), applies_to=("output",), stream_mode="end"),)
    )
    f = engine.stream_filter(("len",), chat("x"), CTX)
    assert f is not None
    for c in STREAM:
        f.feed(c)
    _, outcome = f.finish()
    assert outcome.verdict == "deny"
    assert outcome.hook_results[0]["checks"][0]["data"]["wordCount"] < 50


def test_held_text_is_flushed_at_finish_without_a_finish_reason() -> None:
    f = make("redact")
    sent = [e for c in STREAM[:-1] for e in f.feed(c).emit]
    tail, _ = f.finish()
    assert emitted_text(sent + tail.emit).endswith("Anything else?")


def test_choices_are_held_separately() -> None:
    f = make("redact")
    two = chunk("mail a@example.com ")
    two["choices"].append({"index": 1, "delta": {"content": "none here "}, "finish_reason": "stop"})
    step = f.feed(two)
    by_index = {c["index"]: c["delta"].get("content") for e in step.emit for c in e["choices"]}
    assert by_index == {1: "none here "}
    tail, _ = f.finish()
    assert tail.emit[0]["choices"][0] == {
        "index": 0,
        "delta": {"content": "mail [EMAIL_REDACTED] "},
        "finish_reason": None,
    }


def test_usage_only_chunks_pass_through() -> None:
    f = make("redact")
    usage = {"id": "x", "object": "chat.completion.chunk", "choices": [], "usage": {"total_tokens": 3}}
    assert f.feed(usage).emit == [usage]


def test_phrase_split_across_chunks_without_tone_marks_is_denied_before_emission() -> None:
    kw = ("keywords", {"lists": [{"name": "v", "severity": "high", "words": ["giết người"]}]})
    engine = GuardrailEngine((guardrail("kw", kw, applies_to=("output",)),))
    f = engine.stream_filter(("kw",), chat("x"), CTX)
    assert f is not None
    sent: list[dict[str, Any]] = []
    for c in [chunk("Kế hoạch: " * 20), chunk("giet "), chunk("nguoi ngay"), chunk(finish="stop")]:
        step = f.feed(c)
        sent.extend(step.emit)
        if step.deny is not None:
            break
    else:
        raise AssertionError("the stream was not denied")
    assert "giet" not in emitted_text(sent)


def test_a_word_still_growing_at_the_window_edge_is_not_judged_early() -> None:
    kw = ("keywords", {"lists": [{"name": "v", "severity": "high", "words": ["bom"]}]})
    engine = GuardrailEngine((guardrail("kw", kw, applies_to=("output",)),))
    f = engine.stream_filter(("kw",), chat("x"), CTX)
    assert f is not None
    steps = [f.feed(c) for c in [chunk("lorem ipsum " * 14 + "bom"), chunk("b squad"), chunk(finish="stop")]]
    assert all(s.deny is None for s in steps)
    _, outcome = f.finish()
    assert outcome.verdict == "pass"
    assert emitted_text([e for s in steps for e in s.emit]).endswith("bomb squad")
