"""A reload serves the new prompt version (partials too); an invalid prompt is refused, the old one stays."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from gateway.app import create_app
from gateway.app.factory import default_compilers
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.server import GatewayServer

ADMIN = {"authorization": "Bearer admin-secret"}


def _prompt(version: str, partial: str = "partials/head.j2") -> str:
    return (
        f'kind: prompt\nid: greet\nversion: "{version}"\nroute: chat\nvariables:\n  name: {{type: string}}\n'
        f"messages:\n  - role: user\n    content: \"{{% include '{partial}' %}}{{{{ name }}}}\"\n"
    )


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[GatewayServer, Path]]:
    """gw serving a config directory with one prompt, reloadable through /admin/reload."""
    fake = FakeOpenAI("up").start()
    base = f"kind: provider\nid: up\ntype: openai-compatible\nbase_url: {fake.url}\n---\n"
    base += "kind: route\nid: chat\nprovider: up\n"
    files = {"base.yaml": base, "prompts/greet.yaml": _prompt("v1"), "prompts/partials/head.j2": "Hi "}
    _write(tmp_path, files)
    compile_dir, _ = default_compilers()
    initial = compile_dir(tmp_path)
    assert initial.gateway is not None, initial.diagnostics
    app = create_app(
        initial.gateway, config_dir=tmp_path, compile_dir=compile_dir, watch=False, admin_token="admin-secret"
    )
    server = GatewayServer(app).start()
    yield server, tmp_path
    server.stop()
    fake.stop()


def _render(client: openai.OpenAI) -> httpx.Response:
    return client.post("/prompts/greet/render", body={"variables": {"name": "Ann"}}, cast_to=httpx.Response)


def test_reload_serves_the_new_version_and_refuses_a_broken_one(served: tuple[GatewayServer, Path]) -> None:
    server, root = served
    client = server.client()
    assert _render(client).json()["data"]["messages"][0]["content"] == "Hi Ann"
    _write(root, {"prompts/greet.yaml": _prompt("v2"), "prompts/partials/head.j2": "Hello "})
    report = httpx.post(server.base + "/admin/reload", headers=ADMIN, timeout=30).json()
    assert report["ok"] is True
    response = _render(client)
    assert response.json()["data"]["messages"][0]["content"] == "Hello Ann"
    assert response.headers["x-gw-prompt-version"] == "v2"
    _write(root, {"prompts/greet.yaml": _prompt("v3", partial="partials/missing.j2")})
    refused = httpx.post(server.base + "/admin/reload", headers=ADMIN, timeout=30)
    assert refused.status_code == 422 and "GW-E0703" in refused.text
    assert _render(client).headers["x-gw-prompt-version"] == "v2"
