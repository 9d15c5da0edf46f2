"""Route manifests: inheritance resolved onto leaves, policy applied, sources kept."""

from __future__ import annotations

import json
import textwrap

from compiler import compile_sources
from compiler.specs import LeafSpec, RouteSpec, StrategySpec
from tests.compiler.samples import SCHEMAS, config_files

PROVIDERS = """
kind: provider
id: a
type: openai
api_key: {env: A_KEY}
---
kind: provider
id: b
type: anthropic
api_key: {env: B_KEY}
---
kind: guardrail
id: g_in
applies_to: [input]
checks: [{type: pii}]
---
kind: guardrail
id: g_out
applies_to: [output]
action: flag
checks: [{type: jsonSchema, parameters: {schema: {type: object}}}]
"""


def _route(route_yaml: str, extra: str = "") -> RouteSpec:
    files = {"base.yaml": PROVIDERS, "route.yaml": textwrap.dedent(route_yaml), "extra.yaml": extra}
    result = compile_sources(files, schemas=SCHEMAS)
    assert result.ok, result.diagnostics
    assert result.gateway is not None
    return next(r for r in result.gateway.routes if r.id == "r")


def test_leaves_inherit_retry_cache_timeout_and_merge_override_params() -> None:
    route = _route("""
        kind: route
        id: r
        override_params: {model: m1, temperature: 0}
        retry: {attempts: 3, backoff_base_ms: 50, jitter: false}
        cache: {mode: simple, max_age: 120}
        request_timeout: 9000
        strategy: {mode: fallback, on_status_codes: [429, 503]}
        targets:
          - provider: a
            override_params: {temperature: 1}
          - provider: b
            retry: {attempts: 0}
            cache: {mode: semantic, threshold: 0.9}
    """)
    root = route.root
    assert isinstance(root, StrategySpec) and root.on_status_codes == (429, 503)
    first, second = root.targets
    assert isinstance(first, LeafSpec) and isinstance(second, LeafSpec)
    assert json.loads(first.override_params) == {"model": "m1", "temperature": 1}
    assert (first.retry.attempts, first.retry.backoff_base_ms, first.retry.jitter) == (3, 50, False)
    assert second.retry.attempts == 0
    assert first.cache is not None and (first.cache.mode, first.cache.max_age_s) == ("simple", 120)
    assert second.cache is not None and second.cache.mode == "semantic"
    assert first.request_timeout_ms == second.request_timeout_ms == 9000
    assert (first.path, second.path) == ("config.targets[0]", "config.targets[1]")


def test_node_guardrails_go_to_leaves_and_root_guardrails_to_the_route() -> None:
    route = _route("""
        kind: route
        id: r
        input_guardrails: [g_in]
        strategy: {mode: fallback}
        targets:
          - strategy: {mode: single}
            output_guardrails: [g_out]
            targets: [{provider: a}]
          - provider: b
    """)
    assert route.input_guardrails == ("g_in",) and route.output_guardrails == ()
    inner = route.root.targets[0]
    assert isinstance(inner, StrategySpec)
    assert inner.targets[0].output_guardrails == ("g_out",)
    assert route.root.targets[1].output_guardrails == ()


def test_policy_adds_enforced_guardrails_deadline_and_selectability() -> None:
    policy = "kind: policy\nid: p\nenforced_input_guardrails: [g_in]\ndefault_deadline_ms: 1234\n"
    policy += "header_selectable_routes: [other]\n---\nkind: route\nid: other\nprovider: b\n"
    route = _route("kind: route\nid: r\nprovider: a\n", policy)
    assert route.input_guardrails == ("g_in",)
    assert route.deadline_ms == 1234
    assert route.header_selectable is False


def test_circuit_breaker_from_cb_config_reaches_every_leaf() -> None:
    route = _route("""
        kind: route
        id: r
        strategy:
          mode: loadbalance
          cb_config: {failure_threshold: 2, failure_threshold_percentage: 50, cooldown_interval: 45000}
        targets: [{provider: a}, {provider: b, circuit_breaker: {failure_threshold: 9}}]
    """)
    first, second = route.root.targets
    assert first.circuit_breaker is not None and second.circuit_breaker is not None
    assert (first.circuit_breaker.failure_threshold, first.circuit_breaker.cooldown_ms) == (2, 45000)
    assert first.circuit_breaker.failure_threshold_percentage == 50
    assert second.circuit_breaker.failure_threshold == 9


def test_specs_carry_their_manifest_position() -> None:
    route = _route(
        "kind: route\nid: r\nstrategy: {mode: fallback}\ntargets:\n  - provider: a\n  - provider: b\n"
    )
    assert str(route.source) == "route.yaml:1:1"
    assert str(route.root.targets[1].source) == "route.yaml:6:5"
    assert route.root.targets[1].source.pointer == "/targets/1"


def test_example_configs_hash_is_stamped() -> None:
    result = compile_sources(config_files(), schemas=SCHEMAS)
    assert result.gateway is not None and result.gateway.content_hash.startswith("sha256:")
