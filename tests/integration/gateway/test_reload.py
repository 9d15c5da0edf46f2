"""Hot reload under continuous load: 20 swaps (5 invalid), zero failed requests, right config after each."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from gateway.app.factory import default_compilers
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.conftest import ServeFn
from tests.integration.gateway.server import GatewayServer

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
ADMIN = {"authorization": "Bearer admin-secret"}


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _providers(up: dict[str, FakeOpenAI]) -> str:
    docs = [
        f"kind: provider\nid: {name}\ntype: openai-compatible\nbase_url: {fake.url}\n"
        for name, fake in up.items()
    ]
    return "---\n".join(docs)


def _route(version: int, target: str) -> str:
    return f"kind: route\nid: chat\nprovider: {target}\noverride_params:\n  model: v{version}\n"


class Load:
    """Clients hammering the gateway in threads, counting every non-200."""

    def __init__(self, server: GatewayServer, threads: int = 3) -> None:
        self.url = server.url + "/chat/completions"
        self.stop = threading.Event()
        self.ok = 0
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        with httpx.Client(headers={"x-portkey-config": "chat"}, timeout=10) as client:
            while not self.stop.is_set():
                try:
                    response = client.post(self.url, json=BODY)
                    good = response.status_code == 200
                    note = f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    good, note = False, repr(exc)
                with self._lock:
                    if good:
                        self.ok += 1
                    else:
                        self.failures.append(note)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(15)


def _served_model(server: GatewayServer) -> str:
    response = httpx.post(server.url + "/chat/completions", json=BODY, headers={"x-portkey-config": "chat"})
    assert response.status_code == 200, response.text
    return str(response.json()["model"])


def _wait_for_model(server: GatewayServer, model: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _served_model(server) == model:
            return
        time.sleep(0.02)
    raise AssertionError(f"the gateway never served {model}")


@pytest.mark.slow
def test_twenty_swaps_under_load_lose_no_request(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn, tmp_path: Path
) -> None:
    compile_dir, compile_header = default_compilers()
    (tmp_path / "providers.yaml").write_text(_providers(upstreams))
    routes = tmp_path / "routes.yaml"
    routes.write_text(_route(0, "a"))
    initial = compile_dir(tmp_path)
    assert initial.gateway is not None, initial.diagnostics
    server = serve(
        initial.gateway,
        config_dir=tmp_path,
        compile_dir=compile_dir,
        compile_header=compile_header,
        debounce_ms=30,
    )
    assert _served_model(server) == "v0"
    invalid = {4, 8, 12, 16, 19}
    current = "v0"
    with Load(server) as load:
        for swap in range(1, 21):
            if swap in invalid:
                _write(routes, _route(swap, "no_such_provider"))
                report = httpx.post(server.base + "/admin/reload", headers=ADMIN)
                assert report.status_code == 422
                assert report.json()["ok"] is False
                assert _served_model(server) == current  # the old config keeps serving
            else:
                _write(routes, _route(swap, "abc"[swap % 3]))
                current = f"v{swap}"
                _wait_for_model(server, current)
        time.sleep(0.2)
    assert load.failures == []
    assert load.ok > 50


def test_admin_reload_reports_an_unchanged_config(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn, tmp_path: Path
) -> None:
    compile_dir, _ = default_compilers()
    (tmp_path / "providers.yaml").write_text(_providers(upstreams))
    (tmp_path / "routes.yaml").write_text(_route(1, "b"))
    initial = compile_dir(tmp_path)
    assert initial.gateway is not None
    server = serve(initial.gateway, config_dir=tmp_path, compile_dir=compile_dir, watch=False)
    report = httpx.post(server.base + "/admin/reload", headers=ADMIN).json()
    assert report == {"ok": True, "changed": False, "config_hash": initial.gateway.content_hash}


def test_in_flight_request_finishes_on_the_config_it_started_with(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn, tmp_path: Path
) -> None:
    from tests.fakes.openai_upstream import Reply

    compile_dir, _ = default_compilers()
    (tmp_path / "providers.yaml").write_text(_providers(upstreams))
    routes = tmp_path / "routes.yaml"
    routes.write_text(_route(1, "a"))
    initial = compile_dir(tmp_path)
    assert initial.gateway is not None
    server = serve(initial.gateway, config_dir=tmp_path, compile_dir=compile_dir, watch=False)
    upstreams["a"].script(Reply(delay_s=0.5))
    slow: list[str] = []
    thread = threading.Thread(target=lambda: slow.append(_served_model(server)))
    thread.start()
    time.sleep(0.15)
    _write(routes, _route(2, "b"))
    assert httpx.post(server.base + "/admin/reload", headers=ADMIN).json()["changed"] is True
    assert _served_model(server) == "v2"
    thread.join(5)
    assert slow == ["v1"]
