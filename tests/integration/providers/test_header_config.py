"""Portkey header configs naming non-OpenAI providers, compiled by the real compiler and served by gw."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compiler.specs import ProviderSpec
from gateway.app.factory import default_compilers
from tests.fakes.openai_upstream import Reply as OpenAIReply
from tests.gateway.runtime.builders import gateway, leaf, route
from tests.integration.providers.conftest import ServeFn

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Hi"}]


def test_header_config_falls_back_from_openai_to_anthropic_with_inline_keys(
    providers: dict[str, ProviderSpec], serve: ServeFn, fakes: dict[str, Any]
) -> None:
    _, compile_header = default_compilers()
    compiled = gateway(list(providers.values()), [route("chat", leaf("config", "openai"))])
    server = serve(compiled, compile_header=compile_header, env={"GW_ALLOWED_CUSTOM_HOSTS": "127.0.0.1"})
    config = {
        "strategy": {"mode": "fallback", "on_status_codes": [429]},
        "targets": [
            {"provider": "openai", "api_key": "sk-inline-openai", "custom_host": fakes["openai"].url},
            {
                "provider": "anthropic",
                "api_key": "sk-ant-inline",
                "custom_host": fakes["anthropic"].url,
                "override_params": {"model": "claude-from-header"},
            },
        ],
    }
    fakes["openai"].script(OpenAIReply(status=429))
    stream = server.client(json.dumps(config)).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "hello from anthropic"
    sent = fakes["anthropic"].requests[-1]
    assert sent.headers["x-api-key"] == "sk-ant-inline"
    assert sent.body["model"] == "claude-from-header"
