"""Property test of the front door: random Anthropic-ish bodies give Anthropic-shaped 4xx, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from compiler.specs import SecretRef
from gateway.app import create_app
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.openai_upstream import FakeOpenAI
from tests.gateway.runtime.builders import gateway, leaf, provider, route

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
blocks = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image", "tool_use", "tool_result", "document", 7])},
    optional={
        "text": json_values,
        "source": json_values,
        "id": json_values,
        "input": json_values,
        "content": json_values,
    },
)
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system", 1]),
            "content": st.lists(blocks) | json_values,
        }
    ),
    max_size=3,
)
bodies = st.one_of(
    st.binary(max_size=32),
    st.fixed_dictionaries(
        {"messages": messages | json_values, "max_tokens": st.integers(min_value=1, max_value=64)},
        optional={"model": st.text(max_size=12), "stream": st.booleans(), "system": json_values},
    ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"messages": messages | json_values},
        optional={
            "model": json_values,
            "max_tokens": st.integers(min_value=-1, max_value=5000) | json_values,
            "system": json_values,
            "stream": json_values,
            "tools": json_values,
            "tool_choice": json_values,
            "stop_sequences": json_values,
            "metadata": json_values,
        },
    ).map(lambda v: json.dumps(v).encode()),
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Any]]:
    with FakeAnthropic("fuzz") as claude, FakeOpenAI("fuzz") as gpt:
        key = SecretRef(env="K")
        providers = [
            provider("claude", claude.url, type="anthropic", api_key=key),
            provider("gpt", gpt.url, api_key=key),
        ]
        routes = [route("claude", leaf("config", "claude")), route("gpt", leaf("config", "gpt"))]
        app = create_app(gateway(providers, routes), env={"K": "sk-test"})
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    route_id=st.sampled_from(["claude", "gpt", "missing"]),
    path=st.sampled_from(["/v1/messages", "/v1/messages/count_tokens"]),
)
def test_random_messages_requests_never_get_a_500(
    client: TestClient[Any], body: bytes, route_id: str, path: str
) -> None:
    response = client.post(path, content=body, headers={"x-portkey-config": route_id})
    assert response.status_code != 500, response.text
    if response.status_code >= 400:
        error = response.json()
        assert error["type"] == "error" and isinstance(error["error"]["message"], str), response.text
