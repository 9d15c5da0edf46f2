"""modelWhitelist and requiredMetadataKeys read request facts, not text."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.guardrails import GuardrailEngine
from gateway.ports import CheckContext
from tests.gateway.guardrails.build import chat, guardrail


async def verdict(check: str, params: dict[str, Any], model: str, metadata: dict[str, str]) -> bool:
    engine = GuardrailEngine((guardrail("g", (check, params), action="flag"),))
    outcome = await engine.check_input(("g",), chat("hi", model=model), CheckContext(metadata=metadata))
    return bool(outcome.hook_results[0]["verdict"])


@pytest.mark.parametrize(
    ("params", "model", "metadata", "passes"),
    [
        ({"models": ["gpt-4o-mini"]}, "gpt-4o-mini", {}, True),
        ({"models": ["gpt-4o-mini"]}, "gpt-4o", {}, False),  # a prefix is not the model
        ({"models": ["gpt-4o"], "not": True}, "gpt-4o", {}, False),
        (
            {
                "models": ["small"],
                "metadataRules": [{"metadataKey": "tier", "values": ["pro"], "models": ["big"]}],
            },
            "big",
            {"tier": "pro"},
            True,
        ),
        (
            {
                "models": ["small"],
                "metadataRules": [{"metadataKey": "tier", "values": ["pro"], "models": ["big"]}],
            },
            "big",
            {"tier": "free"},
            False,
        ),
    ],
)
async def test_model_whitelist(
    params: dict[str, Any], model: str, metadata: dict[str, str], passes: bool
) -> None:
    assert await verdict("modelWhitelist", params, model, metadata) is passes


async def test_lowercase_portkey_alias_is_accepted() -> None:
    assert await verdict("default.modelwhitelist", {"models": ["m"]}, "m", {}) is True


@pytest.mark.parametrize(
    ("operator", "metadata", "passes"),
    [
        ("all", {"team": "a", "env": "prod"}, True),
        ("all", {"team": "a"}, False),
        ("any", {"env": "prod"}, True),
        ("any", {"other": "x"}, False),
        ("none", {"other": "x"}, True),
        ("none", {"team": "a"}, False),
    ],
)
async def test_required_metadata_keys(operator: str, metadata: dict[str, str], passes: bool) -> None:
    params = {"metadataKeys": ["team", "env"], "operator": operator}
    assert await verdict("requiredMetadataKeys", params, "m", metadata) is passes
