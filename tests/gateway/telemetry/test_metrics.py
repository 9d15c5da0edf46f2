"""Metric labels stay bounded: only compiled ids, everything else `other`; one registry per object."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from gateway.telemetry import Metrics
from gateway.telemetry.metrics import OTHER, SERIES
from tests.gateway.telemetry.conftest import compiled_gateway


def label_values(metrics: Metrics, name: str, label: str) -> set[str]:
    """Every value a label takes in the exposed samples of `name`."""
    return {
        s.labels[label]
        for family in text_string_to_metric_families(metrics.render().decode())
        for s in family.samples
        if s.name == name
    }


def test_unknown_route_provider_and_model_fold_to_other() -> None:
    metrics = Metrics()
    metrics.bind(compiled_gateway())
    for i in range(50):
        metrics.request(f"route-{i}", f"prov-{i}", f"model-{i}", 200, 0.01)
    metrics.request("chat", "openai_prod", "gpt-4o-mini", 200, 0.01)
    assert label_values(metrics, "gw_requests_total", "route") == {"chat", OTHER}
    assert label_values(metrics, "gw_requests_total", "model") == {"gpt-4o-mini", OTHER}


def test_out_of_range_status_and_unknown_enums_fold_to_other() -> None:
    metrics = Metrics()
    metrics.attempt("x", None, 0, 0.1)
    metrics.cache_lookup("chat", "fuzzy", "WEIRD")
    metrics.guardrail("g", "sideways", "maybe")
    metrics.rejection("chat", "vibes")
    metrics.dependency("my-own-db", up=True)
    assert label_values(metrics, "gw_upstream_attempts_total", "status") == {OTHER}
    assert label_values(metrics, "gw_cache_lookups_total", "mode") == {OTHER}
    assert label_values(metrics, "gw_guardrail_verdicts_total", "verdict") == {OTHER}
    assert label_values(metrics, "gw_rate_limit_rejections_total", "limit") == {OTHER}
    assert label_values(metrics, "gw_dependency_up", "dependency") == {OTHER}


def test_reload_keeps_one_config_info_series_and_counts_results() -> None:
    metrics = Metrics()
    metrics.bind(compiled_gateway(content_hash="sha256:one"))
    metrics.bind(compiled_gateway(content_hash="sha256:two"))
    metrics.reload(ok=True)
    metrics.reload(ok=False)
    assert label_values(metrics, "gw_config_info", "hash") == {"sha256:two"}
    assert label_values(metrics, "gw_config_reloads_total", "result") == {"success", "failure"}


def test_component_gauges_take_compiled_ids() -> None:
    metrics = Metrics()
    metrics.bind(compiled_gateway())
    metrics.budget("team_a", 42.5)
    metrics.circuit_state("chat", "config.targets[0]", "open")
    metrics.circuit_state("chat", "config.targets[9]", "half_open")
    text = metrics.render().decode()
    assert 'gw_budget_remaining_usd{budget="team_a"} 42.5' in text
    assert 'gw_circuit_breaker_state{route="chat",target="config.targets[0]"} 2.0' in text
    assert 'gw_circuit_breaker_state{route="chat",target="other"} 1.0' in text


def test_two_metrics_objects_do_not_share_samples() -> None:
    first, second = Metrics(), Metrics()
    first.reload(ok=True)
    assert label_values(first, "gw_config_reloads_total", "result") == {"success"}
    assert label_values(second, "gw_config_reloads_total", "result") == set()


def test_published_series_cover_every_exposed_sample() -> None:
    metrics = Metrics()
    metrics.bind(compiled_gateway())
    metrics.request("chat", "anthropic", "claude-haiku", 200, 0.2)
    metrics.attempt("anthropic", "claude-haiku", 200, 0.1)
    metrics.first_token("chat", "anthropic", "claude-haiku", 0.05)
    metrics.chunk_gaps("anthropic", "claude-haiku", [0.01, 0.02])
    metrics.usage("chat", "anthropic", "claude-haiku", (("input", 3),), 0.1)
    metrics.cache_lookup("chat", "semantic", "SEMANTIC HIT")
    metrics.guardrail("no_pii", "output", "flag")
    metrics.budget("team_a", 1.0)
    metrics.rejection("chat", "requests")
    metrics.circuit_state("chat", "config.targets[0]", "closed")
    metrics.reload(ok=True)
    metrics.dependency("valkey", up=True)
    exposed = {s.name for f in text_string_to_metric_families(metrics.render().decode()) for s in f.samples}
    assert exposed == SERIES
