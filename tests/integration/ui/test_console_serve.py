"""`gw serve` as a subprocess: the console is wired by the real composition root (feed, reloads)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from compiler.specs import CompiledGateway
from tests.fakes.openai_upstream import FakeOpenAI
from tests.services import free_port, wait_port


@pytest.fixture
def gw_serve(manifests: Callable[[], CompiledGateway], upstreams: dict[str, FakeOpenAI]) -> Iterator[str]:
    """`gw serve` on the test manifests (already in ./configs) with an admin token."""
    del manifests, upstreams
    port = free_port()
    env = {**os.environ, "GW_ADMIN_TOKEN": "console-token", "GW_TEST_KEY": "sk-test-not-a-real-key"}
    env.pop("GW_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "gateway.cli.main", "serve", "--config-dir", "configs", "--port", str(port)]
    cmd.append("--no-watch")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.slow
def test_gw_serve_console_shows_traffic_and_a_refused_reload_with_its_diagnostics(gw_serve: str) -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    answer = httpx.post(gw_serve + "/v1/chat/completions", json=body, headers={"x-portkey-config": "solo"})
    assert answer.status_code == 200
    Path("configs/routes.yaml").write_text("kind: route\nid: solo\nprovider: nowhere\n")
    reload = httpx.post(gw_serve + "/admin/reload", headers={"authorization": "Bearer console-token"})
    assert reload.status_code == 422
    with httpx.Client(base_url=gw_serve) as client:
        signed = client.post("/ui/login", data={"token": "console-token"}, headers={"origin": gw_serve})
        assert signed.status_code == 303
        page = client.get("/ui").text
    assert answer.headers["x-portkey-trace-id"] in page  # the request, in the recent table
    assert "refused" in page
    assert "configs/routes.yaml:3:" in page and "nowhere" in page  # the reload's diagnostic
    assert 'class="src">configs/routes.yaml:1</span>' in page  # the old config still serves
