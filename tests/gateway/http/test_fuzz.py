"""Property test of the chat endpoint: random bodies and headers give 4xx OpenAI errors, never 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from gateway.app import create_app
from gateway.app.factory import default_compilers
from tests.fakes.openai_upstream import FakeOpenAI
from tests.gateway.runtime.builders import gateway, leaf, provider, route

PORTKEY_HEADERS = [
    "x-portkey-config",
    "x-portkey-provider",
    "x-portkey-metadata",
    "x-portkey-trace-id",
    "x-portkey-request-timeout",
    "x-portkey-custom-host",
    "x-portkey-forward-headers",
    "x-portkey-cache-force-refresh",
    "x-portkey-strict-open-ai-compliance",
    "authorization",
]

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
config_values = st.one_of(
    st.just("chat"),
    header_text,
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"provider": st.sampled_from(["openai", "groq", "nope", ""]), "api_key": header_text},
        optional={"custom_host": header_text, "retry": json_values, "strategy": json_values},
    ).map(json.dumps),
)
headers = st.dictionaries(st.sampled_from(PORTKEY_HEADERS), header_text, max_size=4) | st.fixed_dictionaries(
    {"x-portkey-config": config_values}
)
messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "system", "assistant", 3]), "content": json_values}
    ),
    max_size=3,
)
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"messages": messages | json_values},
        optional={"model": json_values, "stream": json_values, "temperature": json_values, "n": json_values},
    ).map(lambda v: json.dumps(v).encode()),
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Any]]:
    with FakeOpenAI("fuzz") as upstream:
        compiled = gateway([provider("a", upstream.url)], [route("chat", leaf("config", "a"))])
        _, compile_header = default_compilers()
        app = create_app(compiled, compile_header=compile_header, env={})
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client


def _assert_openai_shaped(status: int, text: str) -> None:
    """4xx for anything the client got wrong; a 5xx only when an upstream really failed.

    A random header config may name a real provider (its default base URL is on the internet, which
    this machine cannot reach): that is a 502 naming the provider, never a gateway 500.
    """
    assert status != 500, text
    if status >= 400:
        body = json.loads(text)
        error = body["error"]
        assert isinstance(error["message"], str) and error["message"]
        assert isinstance(error["type"], str)
        if status >= 500:
            assert status in (502, 503, 504) and body.get("provider"), text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, sent=headers)
def test_random_requests_never_get_a_5xx(client: TestClient[Any], body: bytes, sent: dict[str, str]) -> None:
    response = client.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json", **sent}
    )
    _assert_openai_shaped(response.status_code, response.text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    path=st.sampled_from(["/v1/embeddings", "/v1/completions", "/v1/models", "/v1/x", "/admin/reload"]),
)
def test_other_endpoints_never_get_a_5xx(client: TestClient[Any], body: bytes, path: str) -> None:
    response = client.post(path, content=body, headers={"x-portkey-config": "chat"})
    _assert_openai_shaped(response.status_code, response.text)
