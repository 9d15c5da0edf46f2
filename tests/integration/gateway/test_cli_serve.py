"""`gw serve` as a subprocess on a config directory: the real composition root with its components."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.services import free_port, wait_port

BODY = {"model": "m", "messages": [{"role": "user", "content": "what is the capital of France?"}]}


@pytest.fixture
def served(upstreams: dict[str, FakeOpenAI], tmp_path: Path) -> Iterator[str]:
    (tmp_path / "providers.yaml").write_text(
        f"kind: provider\nid: up\ntype: openai-compatible\nbase_url: {upstreams['a'].url}\n"
    )
    (tmp_path / "routes.yaml").write_text(
        "kind: route\nid: chat\nprovider: up\ncache:\n  mode: simple\n  max_age: 60\n"
        "---\nkind: route\nid: guarded\nprovider: up\ninput_guardrails: [no_apple]\n"
        "output_guardrails: [no_email]\n"
        "---\nkind: route\nid: limited\nprovider: up\n"
        "---\nkind: budget\nid: slow\nscope: {kind: route, value: limited}\nrequests_per_minute: 1\n"
    )
    (tmp_path / "guardrails.yaml").write_text(
        "kind: guardrail\nid: no_apple\napplies_to: [input]\naction: deny\nchecks:\n"
        "  - type: default.contains\n    parameters: {operator: none, words: [Apple]}\n"
        "---\nkind: guardrail\nid: no_email\napplies_to: [output]\naction: redact\nchecks:\n"
        "  - type: pii\n    parameters: {kinds: [email]}\n"
    )
    port = free_port()
    env = {**os.environ, "GW_ADMIN_TOKEN": "t", "GW_SEMANTIC_CACHE_URI": str(tmp_path / "semantic")}
    env.pop("GW_DATABASE_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "gateway.cli.main",
        "serve",
        "--config-dir",
        str(tmp_path),
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)
        assert proc.stderr is not None
        proc.stderr.close()


@pytest.mark.slow
def test_gw_serve_runs_the_manifests_with_the_response_cache(
    served: str, upstreams: dict[str, FakeOpenAI]
) -> None:
    headers = {"x-portkey-config": "chat"}
    first = httpx.post(served + "/v1/chat/completions", json=BODY, headers=headers, timeout=10)
    second = httpx.post(served + "/v1/chat/completions", json=BODY, headers=headers, timeout=10)
    assert first.status_code == second.status_code == 200
    assert first.headers["x-portkey-cache-status"] == "MISS"
    assert second.headers["x-portkey-cache-status"] == "HIT"
    assert second.json()["choices"][0]["message"]["content"] == "hello from a"
    assert len(upstreams["a"].requests) == 1
    assert "gw_requests_total" in httpx.get(served + "/metrics").text


def test_gw_serve_refuses_an_invalid_config(tmp_path: Path) -> None:
    (tmp_path / "routes.yaml").write_text("kind: route\nid: chat\nprovider: nowhere\n")
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "serve", "--config-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "routes.yaml:3" in result.stderr


@pytest.mark.slow
def test_sighup_reloads_the_config(served: str, upstreams: dict[str, FakeOpenAI], tmp_path: Path) -> None:
    import signal
    import time

    before = httpx.get(served + "/ready").json()["config_hash"]
    (tmp_path / "routes.yaml").write_text(
        "kind: route\nid: chat\nprovider: up\noverride_params:\n  model: v2\n"
    )
    pid = int(httpx.get(served + "/admin/config", headers={"authorization": "Bearer t"}).json()["pid"])
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while httpx.get(served + "/ready").json()["config_hash"] == before and time.monotonic() < deadline:
        time.sleep(0.05)
    response = httpx.post(served + "/v1/chat/completions", json=BODY, headers={"x-portkey-config": "chat"})
    assert response.json()["model"] == "v2"


@pytest.mark.slow
def test_gw_serve_enforces_the_manifest_guardrails(served: str, upstreams: dict[str, FakeOpenAI]) -> None:
    from tests.fakes.openai_upstream import Reply

    headers = {"x-portkey-config": "guarded"}
    denied = httpx.post(
        served + "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "tell me about Apple"}]},
        headers=headers,
        timeout=10,
    )
    assert denied.status_code == 446
    assert denied.json()["error"]["type"] == "hooks_failed"
    assert upstreams["a"].requests == []
    upstreams["a"].script(Reply(text="write to bob@example.com"))
    redacted = httpx.post(served + "/v1/chat/completions", json=BODY, headers=headers, timeout=10)
    assert redacted.status_code == 200
    assert "bob@example.com" not in redacted.json()["choices"][0]["message"]["content"]


@pytest.mark.slow
def test_gw_serve_enforces_manifest_rate_limits(served: str) -> None:
    headers = {"x-portkey-config": "limited"}
    first = httpx.post(served + "/v1/chat/completions", json=BODY, headers=headers, timeout=10)
    second = httpx.post(served + "/v1/chat/completions", json=BODY, headers=headers, timeout=10)
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["error"]["type"] == "rate_limit_error"
    assert "retry-after" in second.headers
