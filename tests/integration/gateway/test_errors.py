"""Every failure is OpenAI-shaped with a precise message; admin endpoints are guarded."""

from __future__ import annotations

import httpx
import pytest

from compiler.specs import PolicySpec
from tests.fakes.openai_upstream import FakeOpenAI
from tests.gateway.runtime.builders import gateway, leaf, provider, route
from tests.integration.gateway.conftest import ServeFn
from tests.integration.gateway.server import GatewayServer

CHAT = {"model": "gpt-a", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def server(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> GatewayServer:
    compiled = gateway(
        [provider(n, f.url, models=("gpt-a", "gpt-b")) for n, f in upstreams.items()],
        [route("chat", leaf("config", "a"))],
        PolicySpec(max_body_bytes=4096),
    )
    return serve(compiled)


def _post(
    server: GatewayServer, content: bytes, config: str | None = "chat", **headers: str
) -> httpx.Response:
    if config is not None:
        headers["x-portkey-config"] = config
    headers.setdefault("content-type", "application/json")
    return httpx.post(server.url + "/chat/completions", content=content, headers=headers)


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body["error"]) >= {"message", "type", "param", "code"}
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"", "empty"),
        (b'{"model": "m"}', "`messages` is required"),
        (b'{"model": 5, "messages": [{"role": "user", "content": "x"}]}', "`model` must be a string"),
        (b'{"messages": [], "model": "m"}', "non-empty array"),
        (b'{"messages": [{"role": "user"}], "stream": "yes"}', "`stream` must be a boolean"),
    ],
)
def test_malformed_bodies_are_400_invalid_request(server: GatewayServer, content: bytes, needle: str) -> None:
    response = _post(server, content)
    assert response.status_code == 400
    error = _error(response)
    assert error["type"] == "invalid_request_error"
    assert needle in str(error["message"])


def test_unknown_route_names_the_known_ones(server: GatewayServer) -> None:
    response = _post(server, httpx.Request("POST", "/", json=CHAT).read(), config="nope")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "unknown_route"
    assert "chat" in str(error["message"])


def test_missing_config_and_provider_is_a_400(server: GatewayServer) -> None:
    response = _post(server, httpx.Request("POST", "/", json=CHAT).read(), config=None)
    assert response.status_code == 400
    assert "x-portkey-provider" in str(_error(response)["message"])


def test_bad_metadata_header_is_a_400_naming_it(server: GatewayServer) -> None:
    response = _post(server, httpx.Request("POST", "/", json=CHAT).read(), **{"x-portkey-metadata": "[1]"})
    assert response.status_code == 400
    assert _error(response)["param"] == "x-portkey-metadata"


def test_model_not_offered_by_the_provider_is_a_400(server: GatewayServer) -> None:
    body = httpx.Request("POST", "/", json={**CHAT, "model": "gpt-z"}).read()
    response = _post(server, body)
    assert response.status_code == 400
    assert _error(response)["code"] == "model_not_found"


def test_oversized_body_is_413(server: GatewayServer) -> None:
    big = httpx.Request("POST", "/", json={**CHAT, "pad": "x" * 10_000}).read()
    response = _post(server, big)
    assert response.status_code == 413
    assert "limit of 4096 bytes" in str(_error(response)["message"])


def test_unknown_path_and_wrong_method_are_openai_shaped(server: GatewayServer) -> None:
    missing = httpx.get(server.base + "/v1/nothing")
    assert missing.status_code == 404
    assert _error(missing)["type"] == "not_found_error"
    wrong = httpx.get(server.url + "/chat/completions")
    assert wrong.status_code == 405
    assert _error(wrong)["type"] == "invalid_request_error"


def test_models_health_and_ready(server: GatewayServer) -> None:
    models = httpx.get(server.url + "/models").json()
    assert {m["id"] for m in models["data"]} == {"gpt-a", "gpt-b"}
    assert httpx.get(server.base + "/health").json() == {"status": "ok"}
    ready = httpx.get(server.base + "/ready").json()
    assert ready["status"] == "ready" and ready["routes"] == ["chat"]


def test_admin_needs_the_token(server: GatewayServer) -> None:
    assert httpx.get(server.base + "/admin/breakers").status_code == 401
    wrong = httpx.get(server.base + "/admin/breakers", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert _error(wrong)["type"] == "authentication_error"


def test_admin_is_disabled_without_a_token(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(
        gateway([provider("a", upstreams["a"].url)], [route("chat", leaf("config", "a"))]), admin_token=""
    )
    response = httpx.get(server.base + "/admin/breakers", headers={"authorization": "Bearer x"})
    assert response.status_code == 404


def test_upstream_errors_keep_the_status_and_name_the_provider(
    upstreams: dict[str, FakeOpenAI], server: GatewayServer
) -> None:
    from tests.fakes.openai_upstream import Reply

    upstreams["a"].script(Reply(status=429, headers={"retry-after": "7"}))
    response = _post(server, httpx.Request("POST", "/", json=CHAT).read())
    assert response.status_code == 429
    assert response.json()["provider"] == "a"
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-portkey-trace-id"]


def test_ready_is_503_when_a_required_dependency_is_down(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    async def readiness() -> dict[str, bool]:
        return {"database": True, "valkey": False}

    compiled = gateway([provider("a", upstreams["a"].url)], [route("chat", leaf("config", "a"))])
    server = serve(compiled, readiness=readiness)
    response = httpx.get(server.base + "/ready")
    assert response.status_code == 503
    assert response.json()["dependencies"] == {"database": True, "valkey": False}
    assert httpx.get(server.base + "/health").status_code == 200
