"""Routing through the real server with the official OpenAI SDK: every strategy and nested trees."""

from __future__ import annotations

import openai
import pytest

from compiler.specs import ConditionSpec, QueryCompare, RetrySpec
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.gateway.runtime.builders import SRC, gateway, leaf, provider, route, strategy
from tests.integration.gateway.conftest import ServeFn

MESSAGES = [{"role": "user", "content": "hi"}]


def _providers(up: dict[str, FakeOpenAI]) -> list:
    return [provider(name, fake.url) for name, fake in up.items()]


def _text(completion: object) -> str:
    return completion.choices[0].message.content  # type: ignore[attr-defined]


def test_single_target_serves_and_reports_every_response_header(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    compiled = gateway(
        _providers(upstreams), [route("chat", leaf("config", "a", overrides={"model": "gpt-a"}))]
    )
    server = serve(compiled)
    raw = server.client("chat").chat.completions.with_raw_response.create(model="x", messages=MESSAGES)
    completion = raw.parse()
    assert _text(completion) == "hello from a"
    assert completion.model == "gpt-a"  # override_params win over the request
    assert raw.headers["x-portkey-last-used-option-index"] == "config"
    assert raw.headers["x-portkey-retry-attempt-count"] == "0"
    assert raw.headers["x-portkey-provider"] == "openai"
    assert raw.headers["x-portkey-cache-status"] == "DISABLED"
    assert raw.headers["x-gw-config-hash"] == compiled.content_hash
    assert len(raw.headers["x-portkey-trace-id"]) == 32  # generated when the client sent none


def test_trace_id_sent_by_the_client_is_echoed(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(gateway(_providers(upstreams), [route("chat", leaf("config", "a"))]))
    client = server.client("chat", **{"x-portkey-trace-id": "trace-123"})
    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert raw.headers["x-portkey-trace-id"] == "trace-123"
    assert upstreams["a"].requests[0].headers["x-request-id"] == "trace-123"


def _fallback(on_status_codes: tuple[int, ...] | None = None):
    return strategy(
        "config",
        "fallback",
        [leaf("config.targets[0]", "a"), leaf("config.targets[1]", "b")],
        on_status_codes=on_status_codes,
    )


def test_fallback_moves_to_the_next_target_on_failure(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(status=503))
    server = serve(gateway(_providers(upstreams), [route("chat", _fallback())]))
    raw = server.client("chat").chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert _text(raw.parse()) == "hello from b"
    assert raw.headers["x-portkey-last-used-option-index"] == "config.targets[1]"


def test_fallback_stops_on_a_status_outside_on_status_codes(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(status=400))
    server = serve(gateway(_providers(upstreams), [route("chat", _fallback((429, 503)))]))
    with pytest.raises(openai.BadRequestError) as info:
        server.client("chat").chat.completions.create(model="m", messages=MESSAGES)
    assert "fake upstream error 400" in info.value.message
    assert upstreams["b"].requests == []


def test_all_targets_failing_lists_every_attempt(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    upstreams["a"].script(Reply(status=503))
    upstreams["b"].script(Reply(status=500))
    server = serve(gateway(_providers(upstreams), [route("chat", _fallback())]))
    with pytest.raises(openai.InternalServerError) as info:
        server.client("chat").chat.completions.create(model="m", messages=MESSAGES)
    body = info.value.body
    assert isinstance(body, dict)
    assert [(a["path"], a["status"]) for a in body["attempts"]] == [
        ("config.targets[0]", 503),
        ("config.targets[1]", 500),
    ]
    assert info.value.status_code == 500


def test_loadbalance_never_picks_a_zero_weight_target(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    tree = strategy(
        "config",
        "loadbalance",
        [leaf("config.targets[0]", "a", weight=0.0), leaf("config.targets[1]", "b", weight=1.0)],
    )
    server = serve(gateway(_providers(upstreams), [route("chat", tree)]))
    client = server.client("chat")
    texts = {_text(client.chat.completions.create(model="m", messages=MESSAGES)) for _ in range(15)}
    assert texts == {"hello from b"}


def test_loadbalance_spreads_requests_by_weight(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    tree = strategy("config", "loadbalance", [leaf("config.targets[0]", "a"), leaf("config.targets[1]", "b")])
    server = serve(gateway(_providers(upstreams), [route("chat", tree)]))
    client = server.client("chat")
    texts = [_text(client.chat.completions.create(model="m", messages=MESSAGES)) for _ in range(40)]
    assert {"hello from a", "hello from b"} == set(texts)


def _conditional():
    paid = QueryCompare(root="metadata", field="user_plan", op="$eq", value='"paid"')
    fast = QueryCompare(root="params", field="temperature", op="$gt", value="0.7")
    return strategy(
        "config",
        "conditional",
        [
            _fallback_at("config.targets[0]"),
            leaf("config.targets[1]", "c", name="fast"),
        ],
        conditions=(
            ConditionSpec(query=paid, then=0, source=SRC),
            ConditionSpec(query=fast, then=1, source=SRC),
        ),
        default=1,
    )


def _fallback_at(path: str):
    return strategy(
        path,
        "fallback",
        [leaf(f"{path}.targets[0]", "a"), leaf(f"{path}.targets[1]", "b")],
        name="smart",
    )


async def test_conditional_routes_on_metadata_and_params(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    server = serve(gateway(_providers(upstreams), [route("chat", _conditional())]))
    paid = openai.AsyncOpenAI(
        base_url=server.url,
        api_key="unused",
        max_retries=0,
        default_headers={"x-portkey-config": "chat", "x-portkey-metadata": '{"user_plan": "paid"}'},
    )
    free = openai.AsyncOpenAI(
        base_url=server.url, api_key="unused", max_retries=0, default_headers={"x-portkey-config": "chat"}
    )
    async with paid, free:
        raw = await paid.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
        assert _text(raw.parse()) == "hello from a"
        assert raw.headers["x-portkey-last-used-option-index"] == "config.targets[0].targets[0]"
        hot = await free.chat.completions.create(model="m", messages=MESSAGES, temperature=0.9)
        assert _text(hot) == "hello from c"
        default = await free.chat.completions.create(model="m", messages=MESSAGES)
        assert _text(default) == "hello from c"


async def test_nested_tree_falls_back_inside_the_chosen_branch(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(status=429))
    server = serve(gateway(_providers(upstreams), [route("chat", _conditional())]))
    async with openai.AsyncOpenAI(
        base_url=server.url,
        api_key="unused",
        max_retries=0,
        default_headers={"x-portkey-config": "chat", "x-portkey-metadata": '{"user_plan": "paid"}'},
    ) as client:
        raw = await client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert _text(raw.parse()) == "hello from b"
    assert raw.headers["x-portkey-last-used-option-index"] == "config.targets[0].targets[1]"


def test_retry_honours_retry_after_then_succeeds(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    upstreams["a"].script(Reply(status=429, headers={"retry-after": "0.2"}))
    retry = RetrySpec(attempts=2, use_retry_after_header=True)
    server = serve(gateway(_providers(upstreams), [route("chat", leaf("config", "a", retry=retry))]))
    raw = server.client("chat").chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert _text(raw.parse()) == "hello from a"
    assert raw.headers["x-portkey-retry-attempt-count"] == "1"
    assert len(upstreams["a"].requests) == 2


def test_retries_exhausted_report_minus_one(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    upstreams["a"].script(Reply(status=503), Reply(status=503), Reply(status=503))
    retry = RetrySpec(attempts=2, backoff_base_ms=1, backoff_max_ms=5)
    server = serve(gateway(_providers(upstreams), [route("chat", leaf("config", "a", retry=retry))]))
    client = server.client("chat")
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.status_code == 503
    assert info.value.response.headers["x-portkey-retry-attempt-count"] == "-1"
    assert len(upstreams["a"].requests) == 3


def test_retry_after_longer_than_the_cap_fails_over_instead(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(status=429, headers={"retry-after": "120"}))
    retry = RetrySpec(attempts=3, use_retry_after_header=True, max_retry_after_ms=1000)
    tree = strategy(
        "config", "fallback", [leaf("config.targets[0]", "a", retry=retry), leaf("config.targets[1]", "b")]
    )
    server = serve(gateway(_providers(upstreams), [route("chat", tree)]))
    completion = server.client("chat").chat.completions.create(model="m", messages=MESSAGES)
    assert _text(completion) == "hello from b"
    assert len(upstreams["a"].requests) == 1


def test_attempt_timeout_returns_408_in_portkey_shape(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(delay_s=2.0))
    server = serve(
        gateway(_providers(upstreams), [route("chat", leaf("config", "a", request_timeout_ms=200))])
    )
    with pytest.raises(openai.APIStatusError) as info:
        server.client("chat").chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.status_code == 408
    assert info.value.message.endswith("Request exceeded the timeout sent in the request: 200ms")
    assert isinstance(info.value.body, dict) and info.value.body["type"] == "timeout_error"


def test_request_timeout_header_overrides_the_config(
    upstreams: dict[str, FakeOpenAI], serve: ServeFn
) -> None:
    upstreams["a"].script(Reply(delay_s=2.0))
    server = serve(gateway(_providers(upstreams), [route("chat", leaf("config", "a"))]))
    client = server.client("chat", **{"x-portkey-request-timeout": "150"})
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.status_code == 408


def test_deadline_is_shared_by_the_whole_tree(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    upstreams["a"].script(Reply(delay_s=2.0))
    upstreams["b"].script(Reply(delay_s=2.0))
    tree = strategy("config", "fallback", [leaf("config.targets[0]", "a"), leaf("config.targets[1]", "b")])
    server = serve(gateway(_providers(upstreams), [route("chat", tree, deadline_ms=300)]))
    with pytest.raises(openai.APIStatusError) as info:
        server.client("chat").chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.status_code == 408


def test_embeddings_go_through_the_route(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(gateway(_providers(upstreams), [route("emb", leaf("config", "b"))]))
    result = server.client("emb").embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [item.embedding for item in result.data] == [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]


def test_legacy_completions_go_through_the_route(upstreams: dict[str, FakeOpenAI], serve: ServeFn) -> None:
    server = serve(gateway(_providers(upstreams), [route("chat", leaf("config", "c"))]))
    result = server.client("chat").completions.create(model="gpt-3.5-turbo-instruct", prompt="say hi")
    assert result.choices[0].text == "hello from c"
    assert upstreams["c"].requests[0].path == "/v1/completions"
