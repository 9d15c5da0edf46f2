"""deploy/compose.yaml: valid against the compose-spec schema, wired to nginx, Prometheus and Grafana."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import crossplane
import jsonschema
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
GW_REPLICAS = ("gw-1", "gw-2")
INTERPOLATED = re.compile(r"^\$\{[A-Z_]+:?-[^}]*\}$|^\$\{[A-Z_]+\}$")


def compose_schema() -> dict[str, Any]:  # Any: JSON Schema
    """The compose-spec schema vendored (with its licence) by the check-jsonschema package."""
    text = (files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def compose() -> dict[str, Any]:  # Any: compose YAML
    """The compose file, YAML anchors and merge keys resolved."""
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


def errors(doc: dict[str, Any]) -> list[str]:  # Any: compose YAML
    """Schema violations of a compose document."""
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [e.message for e in validator.iter_errors(doc)]


def test_compose_file_is_valid_against_compose_spec() -> None:
    assert errors(compose()) == []


def test_misspelled_service_key_is_rejected() -> None:
    doc = compose()
    doc["services"]["gw-1"]["helthcheck"] = doc["services"]["gw-1"].pop("healthcheck")
    assert errors(doc) != []


def test_stack_has_two_gw_replicas_and_its_dependencies() -> None:
    services = compose()["services"]
    assert set(services) == {*GW_REPLICAS, "nginx", "valkey", "postgres", "prometheus", "grafana"}
    for name in GW_REPLICAS:
        gw = services[name]
        assert gw["build"]["dockerfile"] == "Dockerfile"
        assert (COMPOSE.parent / gw["build"]["context"] / "Dockerfile").is_file()
        assert gw["depends_on"]["valkey"]["condition"] == "service_healthy"
        assert gw["environment"]["GW_VALKEY_URL"].startswith("redis://valkey:")
        assert "@postgres:5432/" in gw["environment"]["GW_DATABASE_URL"]
        assert "/ready" in " ".join(gw["healthcheck"]["test"])


def nginx_errors(path: Path) -> list[str]:
    """Syntax, context and argument errors crossplane (nginx's own directive table) finds."""
    result = crossplane.parse(str(path), single=True, strict=True, check_ctx=True, check_args=True)
    return [str(e["error"]) for e in result["errors"]]


def test_nginx_config_parses_with_known_directives_in_their_contexts(tmp_path: Path) -> None:
    assert nginx_errors(DEPLOY / "nginx" / "nginx.conf") == []
    broken = tmp_path / "nginx.conf"
    broken.write_text(
        (DEPLOY / "nginx" / "nginx.conf").read_text().replace("proxy_buffering", "proxy_bufering")
    )
    assert nginx_errors(broken) != []


def test_nginx_balances_across_every_replica() -> None:
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    upstream = re.search(r"upstream gw \{(.*?)\}", conf, re.S)
    assert upstream is not None
    assert set(re.findall(r"server ([\w-]+):8787", upstream.group(1))) == set(GW_REPLICAS)
    assert "proxy_buffering off" in conf, "SSE must not be buffered"
    mount = compose()["services"]["nginx"]["volumes"][0]
    assert mount.startswith("./nginx/nginx.conf:")


def test_prometheus_scrapes_every_replica_directly() -> None:
    prom = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "gw"]
    assert job["metrics_path"] == "/metrics"
    targets = {t for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {f"{name}:8787" for name in GW_REPLICAS}


def test_every_bind_mounted_file_exists() -> None:
    for service in compose()["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), source


def test_every_credential_the_manifests_name_is_passed_to_gw() -> None:
    named = set()
    for path in (DEPLOY.parent / "configs").rglob("*.y*ml"):
        named |= set(re.findall(r"\benv:\s*([A-Z][A-Z0-9_]*)", path.read_text()))
    assert named
    for name in GW_REPLICAS:
        assert named <= set(compose()["services"][name]["environment"])


@pytest.mark.parametrize("service", sorted(compose()["services"]))
def test_no_secret_is_written_in_the_file(service: str) -> None:
    env = compose()["services"][service].get("environment", {})
    for name, value in env.items():
        if {"KEY", "PASSWORD", "SECRET", "TOKEN"} & set(name.split("_")):
            assert INTERPOLATED.match(str(value)), f"{service}.{name} must come from the environment"
