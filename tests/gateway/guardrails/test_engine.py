"""The engine: verdicts, Portkey's hook_results shape, redaction of requests and responses, timing."""

from __future__ import annotations

import copy

import pytest

from gateway.guardrails import CheckTiming, GuardrailEngine
from gateway.ports import CheckContext, GuardrailRunner
from tests.gateway.guardrails.build import chat, completion, guardrail

CTX = CheckContext()
PII = ("pii", {})
NO_APPLE = ("contains", {"words": ["Apple"], "operator": "none"})


def test_engine_implements_the_runner_port() -> None:
    runner: GuardrailRunner = GuardrailEngine(())
    assert runner.stream_filter((), {}, CTX) is None


async def test_redaction_rewrites_a_copy_of_the_request_and_records_kinds_only() -> None:
    engine = GuardrailEngine((guardrail("mask", PII, action="redact"),))
    body = chat("mail bob@example.com", "card 4111 1111 1111 1111 and bob@example.com")
    before = copy.deepcopy(body)
    outcome = await engine.check_input(("mask",), body, CTX)
    assert body == before
    assert outcome.verdict == "pass"
    assert outcome.redacted == ("credit_card", "email")
    assert outcome.body is not None
    assert [m["content"] for m in outcome.body["messages"]] == [
        "mail [EMAIL_REDACTED]",
        "card [CREDIT_CARD_REDACTED] and [EMAIL_REDACTED]",
    ]
    assert "bob@example.com" not in repr(outcome.hook_results)
    check = outcome.hook_results[0]["checks"][0]
    assert check["redacted"] == {"credit_card": 1, "email": 2}
    assert check["transformed"] is True


async def test_redaction_reaches_content_parts_and_embedding_inputs() -> None:
    engine = GuardrailEngine((guardrail("mask", PII, action="redact"),))
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "ip 10.0.0.1"}]}]}
    out = await engine.check_input(("mask",), parts, CTX)
    assert out.body is not None
    assert out.body["messages"][0]["content"][0]["text"] == "ip [IP_ADDRESS_REDACTED]"
    emb = await engine.check_input(("mask",), {"model": "e", "input": ["a@b.co", "fine"]}, CTX)
    assert emb.body is not None
    assert emb.body["input"] == ["[EMAIL_REDACTED]", "fine"]


async def test_response_is_redacted_before_it_is_returned() -> None:
    engine = GuardrailEngine((guardrail("mask", PII, action="redact", applies_to=("output",)),))
    outcome = await engine.check_output(("mask",), completion("call 0901 234 567"), chat("hi"), CTX)
    assert outcome.body is not None
    assert outcome.body["choices"][0]["message"]["content"] == "call [PHONE_REDACTED]"


async def test_deny_and_flag_verdicts_follow_the_guardrail_action() -> None:
    engine = GuardrailEngine(
        (guardrail("deny", NO_APPLE, action="deny"), guardrail("flag", NO_APPLE, action="flag"))
    )
    assert (await engine.check_input(("flag",), chat("Apple"), CTX)).verdict == "flag"
    denied = await engine.check_input(("flag", "deny"), chat("Apple"), CTX)
    assert denied.verdict == "deny"
    assert [h["deny"] for h in denied.hook_results] == [False, True]
    assert (await engine.check_input(("deny",), chat("pear"), CTX)).verdict == "pass"


async def test_hook_results_have_portkeys_shape() -> None:
    engine = GuardrailEngine((guardrail("g", NO_APPLE, ("characterCount", {"maxCharacters": 99})),))
    outcome = await engine.check_input(("g",), chat("an Apple"), CTX)
    hook = outcome.hook_results[0]
    assert {"id", "verdict", "deny", "checks", "execution_time", "created_at", "async", "type"} <= set(hook)
    assert hook["id"] == "g" and hook["verdict"] is False and hook["deny"] is True
    for check in hook["checks"]:
        assert {"id", "verdict", "data", "error", "execution_time", "created_at"} <= set(check)
        assert check["execution_time"] >= 0
    assert [c["id"] for c in hook["checks"]] == [
        "default.characterCount",
        "default.contains",
    ]  # cheapest first


async def test_redact_guardrail_flags_what_it_cannot_redact() -> None:
    engine = GuardrailEngine((guardrail("mix", PII, NO_APPLE, action="redact"),))
    outcome = await engine.check_input(("mix",), chat("Apple bob@example.com"), CTX)
    assert outcome.verdict == "flag"
    assert outcome.redacted == ("email",)


async def test_later_guardrails_see_redacted_text() -> None:
    no_email_text = ("regexMatch", {"rule": "@example", "not": True})
    engine = GuardrailEngine((guardrail("mask", PII, action="redact"), guardrail("strict", no_email_text)))
    outcome = await engine.check_input(("mask", "strict"), chat("bob@example.com"), CTX)
    assert outcome.verdict == "pass"


async def test_guardrails_run_only_where_they_apply() -> None:
    engine = GuardrailEngine((guardrail("in", NO_APPLE, applies_to=("input",)),))
    assert (await engine.check_output(("in",), completion("Apple"), chat("x"), CTX)).hook_results == []
    assert engine.stream_filter(("in",), chat("x"), CTX) is None


async def test_unknown_guardrail_id_is_an_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        await GuardrailEngine(()).check_input(("nope",), chat("x"), CTX)


async def test_every_check_reports_its_latency_to_the_timing_sink() -> None:
    seen: list[CheckTiming] = []
    engine = GuardrailEngine((guardrail("g", PII, NO_APPLE),), on_timing=seen.append)
    await engine.check_input(("g",), chat("hello"), CTX)
    assert sorted(t.check_id for t in seen) == ["default.contains", "pii"]
    assert all(t.phase == "input" and t.seconds >= 0 and t.guardrail_id == "g" for t in seen)


def test_a_bad_check_names_its_manifest_position() -> None:
    with pytest.raises(ValueError, match=r"guardrails/test.yaml:1:1: check `regexMatch`"):
        GuardrailEngine((guardrail("g", ("regexMatch", {"rule": "("})),))
    with pytest.raises(ValueError, match="unknown check"):
        GuardrailEngine((guardrail("g", ("nonsense", {})),))


async def test_engine_links_from_a_compiled_gateway() -> None:
    from compiler.specs import CompiledGateway

    engine = GuardrailEngine.from_compiled(CompiledGateway(guardrails=(guardrail("g", NO_APPLE),)))
    assert (await engine.check_input(("g",), chat("Apple"), CTX)).verdict == "deny"


async def test_extended_engine_runs_the_new_guardrails_beside_the_old_ones() -> None:
    engine = GuardrailEngine((guardrail("base", ("contains", {"operator": "none", "words": ["x"]})),))
    extra = guardrail("header:0", ("contains", {"operator": "none", "words": ["apple"]}), action="deny")
    child = engine.extended((extra,))
    outcome = await child.check_input(("base", "header:0"), chat("an apple"), CTX)
    assert outcome.verdict == "deny"
    assert [h["id"] for h in outcome.hook_results] == ["base", "header:0"]
    with pytest.raises(KeyError):
        await engine.check_input(("header:0",), chat("an apple"), CTX)
