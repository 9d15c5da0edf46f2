"""The Grafana dashboard queries only metrics (and labels) that `gateway.telemetry.metrics` exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from gateway.telemetry import Metrics
from gateway.telemetry.metrics import SERIES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "gw-dashboard.json"
METRIC = re.compile(r"\bgw_[a-z0-9_]+\b")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
MATCHER = re.compile(r"\{([^}]*)\}")
LABEL_MATCH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
PROMQL_WORDS = {"le"}


def dashboard() -> dict[str, Any]:  # Any: Grafana JSON
    """The dashboard document."""
    doc: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return doc


def expressions() -> list[str]:
    """Every PromQL expression in the panels and template variables."""
    exprs = [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard()["templating"]["list"] if "definition" in v]
    return exprs


def label_names() -> dict[str, set[str]]:
    """Sample name → its label names, read from the collectors a `Metrics` object owns."""
    out: dict[str, set[str]] = {}
    suffixes = ("", "_total", "_created", "_bucket", "_count", "_sum")
    for collector in vars(Metrics()).values():
        if isinstance(collector, MetricWrapperBase):
            for suffix in suffixes:
                out[collector._name + suffix] = set(collector._labelnames)
    return out


def test_dashboard_is_valid_json_with_unique_panel_ids() -> None:
    ids = [p["id"] for p in dashboard()["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard()["uid"] == "gw-gateway"


@pytest.mark.parametrize("expr", expressions())
def test_every_queried_metric_is_exposed(expr: str) -> None:
    names = set(METRIC.findall(expr))
    assert names, f"no gw metric in {expr!r}"
    assert names <= SERIES, f"unknown metrics {names - SERIES} in {expr!r}"


@pytest.mark.parametrize("expr", expressions())
def test_every_label_used_exists_on_a_queried_metric(expr: str) -> None:
    known = set().union(*(label_names().get(n, set()) for n in METRIC.findall(expr))) | PROMQL_WORDS
    used = {label.strip() for group in GROUPING.findall(expr) for label in group.split(",") if label.strip()}
    for matchers in MATCHER.findall(expr):
        used |= set(LABEL_MATCH.findall(matchers))
    assert used <= known, f"labels {used - known} not on the metrics of {expr!r}"


def test_dashboard_covers_the_operator_questions() -> None:
    titles = " | ".join(p["title"].lower() for p in dashboard()["panels"])
    for topic in ("request rate", "p50", "p95", "p99", "error rate", "cost per hour", "cache hit rate"):
        assert topic in titles
    assert "provider distribution" in titles and "budget burn" in titles


def test_grafana_provisioning_points_at_the_dashboard() -> None:
    prov = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "gw.yaml").read_text())
    (provider,) = prov["providers"]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    target = provider["options"]["path"]
    assert any(
        m.startswith("./grafana/gw-dashboard.json:") and m.split(":")[1].startswith(target) for m in mounts
    )
    sources = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    assert sources["datasources"][0]["type"] == "prometheus"
