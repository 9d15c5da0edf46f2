"""Header configs (`x-portkey-config`) compile to the same Specs as manifests, with Portkey semantics."""

from __future__ import annotations

import copy
import json
from typing import Any

import msgspec

from compiler import HEADER_ROUTE_ID, CompiledGateway, compile_header_config, compile_sources
from compiler.specs import LeafSpec, QueryAny, QueryCompare, SecretRef, StrategySpec
from tests.compiler.samples import PORTKEY_EXAMPLE, SCHEMAS, config_files

_BASE = compile_sources(config_files(), schemas=SCHEMAS).gateway
assert _BASE is not None
BASE: CompiledGateway = _BASE


def _compile(config: Any, base: CompiledGateway = BASE) -> Any:  # Any: JSON in, result out
    result = compile_header_config(json.dumps(config), base, schemas=SCHEMAS)
    assert result.ok, result.diagnostics
    return result


def _without_sources(value: Any) -> Any:  # Any: msgspec builtins
    if isinstance(value, dict):
        return {k: _without_sources(v) for k, v in value.items() if k != "source"}
    if isinstance(value, list | tuple):
        return [_without_sources(v) for v in value]
    return value


def test_portkey_example_compiles_to_a_conditional_tree_with_target_indexes() -> None:
    route = _compile(PORTKEY_EXAMPLE).route
    assert route.id == HEADER_ROUTE_ID
    root = route.root
    assert isinstance(root, StrategySpec) and root.mode == "conditional"
    assert [c.then for c in root.conditions] == [0, 1] and root.default == 1
    assert isinstance(root.conditions[1].query, QueryAny)
    first = root.conditions[0].query
    assert first == QueryCompare(root="metadata", field="user_plan", op="$eq", value='"paid"')
    smart = root.targets[0]
    assert isinstance(smart, StrategySpec) and smart.on_status_codes == (429, 500, 502, 503, 504, 446)
    assert [t.path for t in smart.targets] == ["config.targets[0].targets[0]", "config.targets[0].targets[1]"]


def test_inline_keys_become_secret_slots_and_never_enter_a_spec() -> None:
    result = _compile(PORTKEY_EXAMPLE)
    assert [(p.id, p.type) for p in result.providers] == [
        ("header:0", "openai"),
        ("header:1", "anthropic"),
        ("header:2", "groq"),
        ("header:3", "ollama"),
    ]
    assert [p.api_key for p in result.providers][:3] == [
        SecretRef(slot=0),
        SecretRef(slot=1),
        SecretRef(slot=2),
    ]
    assert result.secrets == ("sk-test-openai-0001", "sk-ant-test-0002", "gsk-test-0003")
    encoded = msgspec.json.encode([result.route, result.providers, result.guardrails]).decode()
    for secret in result.secrets:
        assert secret not in encoded
    assert "sk-test" not in repr(result)


def test_settings_are_inherited_onto_leaves_and_override_params_merge() -> None:
    config = {
        "strategy": {"mode": "fallback"},
        "override_params": {"model": "gpt-4o", "temperature": 0.2},
        "retry": {"attempts": 2},
        "cache": {"mode": "semantic", "max_age": 600, "threshold": 0.9},
        "request_timeout": 5000,
        "forward_headers": ["x-trace"],
        "strict_open_ai_compliance": False,
        "targets": [
            {"provider": "openai", "override_params": {"temperature": 0.9, "top_p": 1}},
            {
                "provider": "anthropic",
                "retry": {"attempts": 0},
                "request_timeout": 100,
                "forward_headers": [],
            },
        ],
    }
    root = _compile(config).route.root
    first, second = root.targets
    assert isinstance(first, LeafSpec) and isinstance(second, LeafSpec)
    assert json.loads(first.override_params) == {"model": "gpt-4o", "temperature": 0.9, "top_p": 1}
    assert first.retry.attempts == 2 and second.retry.attempts == 0
    assert first.cache is not None and first.cache.max_age_s == 600 and first.cache.threshold == 0.9
    assert first.request_timeout_ms == 5000 and second.request_timeout_ms == 100
    assert first.forward_headers == ("x-trace",) and second.forward_headers == ()
    assert first.strict_openai_compliance is False and second.strict_openai_compliance is False


def test_camel_case_keys_compile_like_snake_case() -> None:
    snake = {
        "strategy": {"mode": "fallback", "on_status_codes": [429], "cb_config": {"cooldown_interval": 40000}},
        "targets": [
            {
                "provider": "openai",
                "override_params": {"maxTokens": 5},
                "retry": {"attempts": 1, "use_retry_after_header": True},
                "request_timeout": 10,
                "strict_open_ai_compliance": False,
            }
        ],
    }
    camel = {
        "strategy": {"mode": "fallback", "onStatusCodes": [429], "cbConfig": {"cooldownInterval": 40000}},
        "targets": [
            {
                "provider": "openai",
                "overrideParams": {"maxTokens": 5},
                "retry": {"attempts": 1, "useRetryAfterHeader": True},
                "requestTimeout": 10,
                "strictOpenAiCompliance": False,
            }
        ],
    }
    a, b = _compile(snake).route, _compile(camel).route
    assert _without_sources(msgspec.to_builtins(a)) == _without_sources(msgspec.to_builtins(b))
    leaf = a.root.targets[0]
    assert json.loads(leaf.override_params) == {"maxTokens": 5}
    assert leaf.circuit_breaker is not None and leaf.circuit_breaker.cooldown_ms == 40000


def test_virtual_key_and_manifest_ids_use_manifest_providers() -> None:
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {"virtual_key": "anthropic"},
            {"provider": "groq"},
            {"provider": "mistral", "api_key": "k"},
        ],
    }
    result = _compile(config)
    assert [t.provider for t in result.route.root.targets] == ["anthropic", "groq", "header:0"]
    (adhoc,) = result.providers
    assert adhoc.type == "mistral" and adhoc.api_key == SecretRef(slot=0) and result.secrets == ("k",)


def test_portkey_slug_aliases_map_to_adapter_types() -> None:
    result = _compile({"provider": "google", "api_key": "g"})
    assert result.providers[0].type == "gemini"


def test_policy_enforced_guardrails_cannot_be_removed_by_a_header() -> None:
    config = {"provider": "openai", "input_guardrails": ["polite"], "before_request_hooks": []}
    route = _compile(config).route
    assert route.input_guardrails[0] == "no_secrets" and "polite" in route.input_guardrails


def test_hooks_and_shorthand_become_ad_hoc_guardrails() -> None:
    config = {
        "provider": "openai",
        "before_request_hooks": [
            {
                "type": "guardrail",
                "deny": True,
                "checks": [{"id": "default.wordCount", "parameters": {"maxWords": 50}}],
            }
        ],
        "output_guardrails": [{"default.regexMatch": {"rule": "^ok", "not": True}}],
    }
    result = _compile(config)
    hook, shorthand = result.guardrails
    assert (hook.id, hook.action, hook.applies_to, hook.checks[0].type) == (
        "header:0",
        "deny",
        ("input",),
        "wordCount",
    )
    assert (shorthand.action, shorthand.applies_to, shorthand.checks[0].type) == (
        "flag",
        ("output",),
        "regexMatch",
    )
    assert result.route.input_guardrails == ("no_secrets", "header:0")
    assert result.route.output_guardrails == ("header:1",)


def test_nested_guardrails_are_appended_to_the_leaves_below() -> None:
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {
                "strategy": {"mode": "single"},
                "input_guardrails": ["polite"],
                "targets": [
                    {"provider": "openai", "input_guardrails": [{"default.alluppercase": {"not": True}}]}
                ],
            }
        ],
    }
    leaf = _compile(config).route.root.targets[0].targets[0]
    assert leaf.input_guardrails == ("polite", "header:0")


def test_a_route_id_selects_a_manifest_route() -> None:
    result = compile_header_config("chat", BASE, schemas=SCHEMAS)
    assert result.route is not None and result.route.id == "chat" and result.providers == ()


def test_custom_host_allowed_by_policy_passes() -> None:
    config = {"provider": "ollama", "custom_host": "http://10.20.1.5:11434"}
    assert _compile(config).route.root.custom_host == "http://10.20.1.5:11434"


def test_header_diagnostics_point_into_the_header() -> None:
    config = copy.deepcopy(PORTKEY_EXAMPLE)
    config["targets"][1]["targets"][0]["wieght"] = config["targets"][1]["targets"][0].pop("weight")
    result = compile_header_config(json.dumps(config), BASE, schemas=SCHEMAS)
    (diag,) = result.diagnostics
    assert (diag.code, diag.file, diag.pointer) == (
        "GW-E0101",
        "<x-portkey-config>",
        "/targets/1/targets/0/wieght",
    )
    assert diag.hint == "did you mean `weight`?"
