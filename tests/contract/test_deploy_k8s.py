"""Kubernetes manifests: valid against the bundled Kubernetes schemas, and consistent with each other."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from compiler.driver import compile_sources

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
# The oldest Kubernetes gw supports (preStop `sleep` needs 1.30) and the newest the validator bundles.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def documents() -> list[tuple[str, dict[str, Any]]]:  # Any: Kubernetes JSON
    """Every Kubernetes object under deploy/k8s, with its file name."""
    out = []
    for path in sorted(K8S.glob("*.yaml")):
        out += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    return [(name, doc) for name, doc in out if doc["kind"] != "Kustomization"]


def one(kind: str) -> dict[str, Any]:  # Any: Kubernetes JSON
    """The single object of a kind."""
    (doc,) = [d for _, d in documents() if d["kind"] == kind]
    return doc


def pod_spec() -> dict[str, Any]:  # Any: Kubernetes JSON
    """The Deployment's pod spec."""
    spec: dict[str, Any] = one("Deployment")["spec"]["template"]["spec"]
    return spec


def container() -> dict[str, Any]:  # Any: Kubernetes JSON
    """The gw container."""
    (c,) = pod_spec()["containers"]
    return dict(c)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "doc"), documents(), ids=[f"{n}:{d['kind']}" for n, d in documents()])
def test_object_is_valid_against_kubernetes_schema(name: str, doc: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


def test_misspelled_field_is_rejected_by_the_strict_schema() -> None:
    doc = one("Deployment")
    doc["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_probes_use_ready_for_readiness_and_health_for_liveness() -> None:
    c = container()
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    ports = {p["name"] for p in c["ports"]}
    assert {c["readinessProbe"]["httpGet"]["port"], c["livenessProbe"]["httpGet"]["port"]} <= ports


def test_service_pdb_and_spread_select_the_pods() -> None:
    labels = one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert one("Deployment")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert one("Service")["spec"]["selector"].items() <= labels.items()
    assert one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    port_names = {p["name"] for p in container()["ports"]}
    assert {p["targetPort"] for p in one("Service")["spec"]["ports"]} <= port_names


def test_hpa_scales_the_deployment_on_cpu_it_requests() -> None:
    hpa, deployment = one("HorizontalPodAutoscaler"), one("Deployment")
    ref = hpa["spec"]["scaleTargetRef"]
    assert (ref["kind"], ref["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert container()["resources"]["requests"]["cpu"]
    assert hpa["spec"]["minReplicas"] > one("PodDisruptionBudget")["spec"]["minAvailable"]


def test_manifests_come_from_a_configmap_mounted_whole_for_hot_reload() -> None:
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    (mount,) = [m for m in container()["volumeMounts"] if m["mountPath"] == "/etc/gw/configs"]
    assert "subPath" not in mount, "subPath mounts never see ConfigMap updates"
    assert volumes[mount["name"]]["configMap"]["name"] == one("ConfigMap")["metadata"]["name"]
    assert "/etc/gw/configs" in container()["args"]


def test_keys_come_from_the_secret_which_holds_no_value() -> None:
    refs = {e["secretRef"]["name"] for e in container()["envFrom"]}
    secret = one("Secret")
    assert refs == {secret["metadata"]["name"]}
    assert set(secret["stringData"].values()) == {""}
    assert not any("value" in e and "KEY" in e["name"] for e in container().get("env", []))


def test_every_credential_the_configmap_names_is_a_secret_key() -> None:
    named = set()
    for text in one("ConfigMap")["data"].values():
        named |= set(re.findall(r"\benv:\s*([A-Z][A-Z0-9_]*)", text))
    assert named and named <= set(one("Secret")["stringData"])


def test_pod_runs_as_the_image_user_without_privileges() -> None:
    ctx, cctx = pod_spec()["securityContext"], container()["securityContext"]
    assert ctx["runAsNonRoot"] is True and ctx["runAsUser"] == 10001
    assert "USER 10001:10001" in (REPO / "Dockerfile").read_text()
    assert cctx["readOnlyRootFilesystem"] is True and cctx["allowPrivilegeEscalation"] is False
    writable = {m["mountPath"] for m in container()["volumeMounts"] if not m.get("readOnly")}
    assert {"/var/lib/gw", "/tmp"} <= writable


def test_grace_period_outlasts_the_prestop_pause() -> None:
    pause = container()["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod_spec()["terminationGracePeriodSeconds"] >= pause + 30


def schema_for(kind: str) -> dict[str, Any]:  # Any: JSON Schema
    """gw's own JSON Schema for a manifest kind."""
    schema: dict[str, Any] = json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text())
    return schema


@pytest.mark.parametrize("file_name", sorted(one("ConfigMap")["data"]))
def test_configmap_manifests_match_gw_schemas(file_name: str) -> None:
    text = one("ConfigMap")["data"][file_name]
    for doc in yaml.safe_load_all(text):
        schema = schema_for(doc["kind"])
        jsonschema.validators.validator_for(schema)(schema).validate(doc)


def test_configmap_manifests_compile_without_diagnostics() -> None:
    result = compile_sources(dict(one("ConfigMap")["data"]))
    assert result.ok and result.gateway is not None
    assert [str(d) for d in result.diagnostics] == []
    assert {r.id for r in result.gateway.routes} == {"chat"}
