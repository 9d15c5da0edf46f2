"""Portkey headers through the real server: config-less calls, header configs, custom_host SSRF guard."""

from __future__ import annotations

import json

import openai
import pytest

from compiler.specs import PolicySpec
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.gateway.runtime.builders import gateway, leaf, provider, route
from tests.integration.gateway.conftest import ServeFn

MESSAGES = [{"role": "user", "content": "hi"}]


def _compiled(up: dict[str, FakeOpenAI], policy: PolicySpec | None = None):
    return gateway([provider(n, f.url) for n, f in up.items()], [route("chat", leaf("config", "a"))], policy)


def _configless(url: str, host: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=url,
        api_key="sk-client-key",
        max_retries=0,
        default_headers={"x-portkey-provider": "openai", "x-portkey-custom-host": host},
    )


@pytest.mark.parametrize(
    "host",
    [
        "http://10.0.0.7/v1",
        "http://169.254.169.254/latest",
        "http://metadata.google.internal/v1",
        "http://127.0.0.1:9/v1",
        "http://[::1]:9/v1",
        "http://2130706433/v1",
        "file:///etc/passwd",
        "http://user:pw@example.com/v1",
    ],
)
def test_custom_host_refuses_private_and_metadata_addresses(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn, host: str
) -> None:
    server = serve(_compiled(upstreams))
    with _configless(server.url, host) as client, pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert "is not allowed" in info.value.message
    assert "sk-client-key" not in info.value.message


def test_custom_host_allowed_by_env_reaches_the_upstream_with_the_client_key(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GW_ALLOWED_CUSTOM_HOSTS", "127.0.0.1")
    server = serve(_compiled(upstreams))
    with _configless(server.url, upstreams["c"].url) as client:
        raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert raw.parse().choices[0].message.content == "hello from c"
    assert raw.headers["x-portkey-provider"] == "openai"
    assert upstreams["c"].requests[0].headers["authorization"] == "Bearer sk-client-key"


def test_custom_host_allowed_by_policy_cidr(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(_compiled(upstreams, PolicySpec(allowed_custom_hosts=("127.0.0.0/8",))))
    with _configless(server.url, upstreams["b"].url) as client:
        completion = client.chat.completions.create(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "hello from b"


def test_configless_call_can_name_a_manifest_provider(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    server = serve(_compiled(upstreams))
    with openai.OpenAI(
        base_url=server.url, api_key="x", max_retries=0, default_headers={"x-portkey-provider": "b"}
    ) as client:
        completion = client.chat.completions.create(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "hello from b"


def test_forward_headers_reach_the_upstream(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(_compiled(upstreams))
    client = server.client(
        "chat", **{"x-portkey-forward-headers": "x-tenant", "x-tenant": "acme", "x-other": "no"}
    )
    client.chat.completions.create(model="m", messages=MESSAGES)
    sent = upstreams["a"].requests[0].headers
    assert sent["x-tenant"] == "acme"
    assert "x-other" not in sent


def test_json_header_config_is_compiled_and_served(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.app.factory import default_compilers

    monkeypatch.setenv("GW_ALLOWED_CUSTOM_HOSTS", "127.0.0.1")
    _, compile_header = default_compilers()
    server = serve(_compiled(upstreams), compile_header=compile_header)
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "openai", "api_key": "sk-header-key", "custom_host": upstreams["b"].url},
            {"provider": "openai", "api_key": "sk-header-key", "custom_host": upstreams["c"].url},
        ],
    }
    upstreams["b"].script(Reply(status=500))
    raw = server.client(json.dumps(config)).chat.completions.with_raw_response.create(
        model="m", messages=MESSAGES
    )
    assert raw.parse().choices[0].message.content == "hello from c"
    assert raw.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert upstreams["c"].requests[0].headers["authorization"] == "Bearer sk-header-key"


def test_invalid_json_header_config_is_a_400_with_a_pointer(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    from gateway.app.factory import default_compilers

    _, compile_header = default_compilers()
    server = serve(_compiled(upstreams), compile_header=compile_header)
    config = {
        "strategy": {"mode": "fallbak"},
        "targets": [{"provider": "openai", "api_key": "sk-secret-value"}],
    }
    with pytest.raises(openai.BadRequestError) as info:
        server.client(json.dumps(config)).chat.completions.create(model="m", messages=MESSAGES)
    body = info.value.body
    assert isinstance(body, dict) and body["code"] == "invalid_config"
    assert body["diagnostics"]
    assert "sk-secret-value" not in json.dumps(body)


def test_header_custom_host_refused_without_an_allowance(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    from gateway.app.factory import default_compilers

    _, compile_header = default_compilers()
    server = serve(_compiled(upstreams), compile_header=compile_header)
    config = {"provider": "openai", "api_key": "sk-x", "custom_host": "http://169.254.169.254/v1"}
    with pytest.raises(openai.BadRequestError):
        server.client(json.dumps(config)).chat.completions.create(model="m", messages=MESSAGES)


def test_a_repeated_bad_header_config_reports_each_requests_own_trace_id(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    import httpx

    from gateway.app.factory import default_compilers

    _, compile_header = default_compilers()
    server = serve(_compiled(upstreams), compile_header=compile_header)
    body = {"model": "m", "messages": MESSAGES}
    bad = '{"strategy": {"mode": "nope"}}'
    traces = []
    for trace in ("t-1", "t-2"):
        headers = {"x-portkey-config": bad, "x-portkey-trace-id": trace}
        response = httpx.post(server.url + "/chat/completions", json=body, headers=headers)
        assert response.status_code == 400
        traces.append(response.headers["x-portkey-trace-id"])
    assert traces == ["t-1", "t-2"]
