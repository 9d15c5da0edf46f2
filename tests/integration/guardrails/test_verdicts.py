"""Deny (446), flag (246) and redaction through the real server, driven by the official OpenAI SDK."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.gateway.server import GatewayServer

pytestmark = pytest.mark.integration

HOOK_KEYS = {"id", "type", "verdict", "deny", "async", "checks", "feedback", "execution_time", "created_at"}
CHECK_KEYS = {"id", "verdict", "data", "error", "execution_time", "created_at"}
PORTKEY_446 = (
    "The guardrail checks defined in the config failed. "
    "You can find more information in the `hook_results` object."
)


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_deny_is_a_446_in_portkeys_shape(server: GatewayServer, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        server.client("denied").chat.completions.create(model="m", messages=ask("Is Apple a fruit?"))
    assert info.value.status_code == 446
    body = info.value.response.json()  # the SDK's `body` is only the `error` member
    assert body["error"] == {"message": PORTKEY_446, "type": "hooks_failed", "param": None, "code": None}
    hooks = body["hook_results"]
    assert set(hooks) == {"before_request_hooks", "after_request_hooks"}
    assert [h["id"] for h in hooks["before_request_hooks"]] == ["no_secrets", "no_apple"]
    denied = hooks["before_request_hooks"][1]
    assert set(denied) >= HOOK_KEYS and denied["verdict"] is False and denied["deny"] is True
    assert denied["type"] == "guardrail" and set(denied["checks"][0]) >= CHECK_KEYS
    assert hooks["after_request_hooks"] == []
    assert upstream.requests == []  # nothing was sent


def test_flag_is_a_246_with_the_response_and_hook_results(server: GatewayServer) -> None:
    raw = server.client("flagged").chat.completions.with_raw_response.create(
        model="m", messages=ask("you idiot, say hi")
    )
    assert raw.status_code == 246
    body = json.loads(raw.http_response.content)
    assert body["choices"][0]["message"]["content"] == "hello from up"
    hooks = body["hook_results"]
    polite = next(h for h in hooks["before_request_hooks"] if h["id"] == "polite")
    assert polite["verdict"] is False and polite["deny"] is False
    assert [h["id"] for h in hooks["after_request_hooks"]] == ["short_answers"]
    assert raw.parse().choices[0].message.content == "hello from up"


def test_passing_request_is_a_plain_200(server: GatewayServer) -> None:
    raw = server.client("flagged").chat.completions.with_raw_response.create(model="m", messages=ask("hi"))
    assert raw.status_code == 200
    assert "hook_results" not in json.loads(raw.http_response.content)


def test_redaction_reaches_the_upstream_and_the_response_is_redacted(
    server: GatewayServer, upstream: FakeOpenAI
) -> None:
    upstream.script(Reply(text="Write to bob@example.com or pay with 4111 1111 1111 1111"))
    raw = server.client("masked").chat.completions.with_raw_response.create(
        model="m", messages=ask("My card is 4111-1111-1111-1111, mail me at ann@example.org")
    )
    sent = upstream.requests[-1].body["messages"][-1]["content"]
    assert "4111" not in sent and "ann@example.org" not in sent
    assert "[CREDIT_CARD_REDACTED]" in sent and "[EMAIL_REDACTED]" in sent
    answer = raw.parse().choices[0].message.content or ""
    assert "bob@example.com" not in answer and "4111" not in answer
    assert "[EMAIL_REDACTED]" in answer and "[CREDIT_CARD_REDACTED]" in answer
    assert raw.status_code == 200


def test_policy_guardrail_runs_when_the_header_config_omits_it(
    server: GatewayServer, upstream: FakeOpenAI
) -> None:
    config = json.dumps({"provider": "up", "input_guardrails": []})
    with pytest.raises(openai.APIStatusError) as info:
        server.client(config).chat.completions.create(
            model="m", messages=ask("my key is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789")
        )
    assert info.value.status_code == 446
    body = info.value.response.json()
    assert [h["id"] for h in body["hook_results"]["before_request_hooks"]] == ["no_secrets"]
    assert upstream.requests == []


def test_header_shorthand_guardrails_deny(server: GatewayServer, upstream: FakeOpenAI) -> None:
    config = json.dumps(
        {
            "provider": "up",
            "input_guardrails": [
                {"default.contains": {"operator": "none", "words": ["banana"]}, "deny": True}
            ],
        }
    )
    client = server.client(config)
    assert client.chat.completions.create(model="m", messages=ask("hi")).choices[0].message.content
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="m", messages=ask("a banana split"))
    assert info.value.status_code == 446
    hooks = info.value.response.json()["hook_results"]["before_request_hooks"]
    assert [h["id"] for h in hooks] == ["no_secrets", "header:0"]
    assert len(upstream.requests) == 1


def test_header_full_hooks_flag_the_response(server: GatewayServer) -> None:
    config = json.dumps(
        {
            "provider": "up",
            "after_request_hooks": [
                {
                    "type": "guardrail",
                    "id": "answer-shape",
                    "deny": False,
                    "checks": [{"id": "default.endsWith", "parameters": {"suffix": "!"}}],
                }
            ],
        }
    )
    raw = server.client(config).chat.completions.with_raw_response.create(model="m", messages=ask("hi"))
    assert raw.status_code == 246
    hooks = json.loads(raw.http_response.content)["hook_results"]
    after = hooks["after_request_hooks"]
    assert len(after) == 1 and after[0]["verdict"] is False
    assert after[0]["checks"][0]["id"] == "default.endsWith"


def test_header_guardrails_in_a_manifest_route_config(server: GatewayServer) -> None:
    reply = httpx.post(
        server.url + "/chat/completions",
        json={"model": "m", "messages": ask("hi")},
        headers={"x-portkey-config": json.dumps({"provider": "up", "input_guardrails": ["no_apple"]})},
    )
    assert reply.status_code == 200


def test_header_webhook_to_an_unlisted_host_is_refused(server: GatewayServer, upstream: FakeOpenAI) -> None:
    config = json.dumps(
        {"provider": "up", "output_guardrails": [{"webhook": {"webhookURL": "http://169.254.169.254/x"}}]}
    )
    with pytest.raises(openai.BadRequestError) as info:
        server.client(config).chat.completions.create(model="m", messages=ask("hi"))
    body = info.value.response.json()["error"]
    assert body["param"] == "x-portkey-config" and "webhook refused" in body["message"]
    assert upstream.requests == []


def test_header_regex_that_can_backtrack_is_refused(server: GatewayServer) -> None:
    config = json.dumps({"provider": "up", "input_guardrails": [{"regexMatch": {"rule": "^(a+)+$"}}]})
    with pytest.raises(openai.BadRequestError) as info:
        server.client(config).chat.completions.create(model="m", messages=ask("aaaaaaaaaaaaaaaaaaaaaaaa!"))
    assert "nests unbounded quantifiers" in info.value.response.json()["error"]["message"]


def test_header_lowercase_modelwhitelist_is_portkeys_id(server: GatewayServer) -> None:
    config = json.dumps(
        {
            "provider": "up",
            "input_guardrails": [{"default.modelwhitelist": {"models": ["gpt-4o"]}, "deny": True}],
        }
    )
    client = server.client(config)
    assert client.chat.completions.create(model="gpt-4o", messages=ask("hi")).choices[0].message.content
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="gpt-3.5-turbo", messages=ask("hi"))
    assert info.value.status_code == 446
