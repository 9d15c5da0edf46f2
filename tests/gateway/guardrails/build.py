"""Build compiled guardrail specs the way the compiler does, for tests of the engine."""

from __future__ import annotations

import json
from typing import Any

from compiler.specs import CheckSpec, GuardrailSpec, Source
from gateway.guardrails import GuardrailEngine
from gateway.ports import CheckContext

SOURCE = Source(file="guardrails/test.yaml", line=1, col=1, pointer="")


def guardrail(gid: str, *checks: tuple[str, dict[str, Any]], **fields: Any) -> GuardrailSpec:
    """A GuardrailSpec with the given (type, params) checks; params as canonical JSON, like the compiler."""
    specs = tuple(
        CheckSpec(type=t, params=json.dumps(p, sort_keys=True, separators=(",", ":")), source=SOURCE)
        for t, p in checks
    )
    return GuardrailSpec(id=gid, checks=specs, source=SOURCE, **fields)


def chat(*contents: str, model: str = "gpt-4o-mini") -> dict[str, Any]:
    """An OpenAI chat request with one user message per content."""
    return {"model": model, "messages": [{"role": "user", "content": c} for c in contents]}


def completion(content: str | None) -> dict[str, Any]:
    """An OpenAI chat.completion response with one choice."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
    }


async def check_one(check: str, params: dict[str, Any], text: str, *, phase: str = "output") -> bool:
    """Run one check in a flag guardrail on `text` and return whether it passed."""
    engine = GuardrailEngine((guardrail("g", (check, params), action="flag"),))
    try:
        if phase == "input":
            outcome = await engine.check_input(("g",), chat(text), CheckContext())
        else:
            outcome = await engine.check_output(("g",), completion(text), chat("hi"), CheckContext())
    finally:
        await engine.aclose()
    return bool(outcome.hook_results[0]["verdict"])
