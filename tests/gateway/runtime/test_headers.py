"""Parsing Portkey request headers: typed values, precise 400s, and a fuzz test that only 400s escape."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import RequestError
from gateway.runtime.headers import parse_headers


def test_trace_id_is_generated_when_absent() -> None:
    parsed = parse_headers({})
    assert parsed.trace_generated and len(parsed.trace_id) == 32


def test_every_header_is_parsed() -> None:
    parsed = parse_headers(
        {
            "x-portkey-config": " chat ",
            "x-portkey-provider": "OpenAI",
            "authorization": "Bearer sk-1",
            "x-portkey-metadata": '{"plan": "paid", "n": 3, "beta": true}',
            "x-portkey-trace-id": "t-1",
            "x-portkey-request-timeout": "2500",
            "x-portkey-forward-headers": "X-Tenant, x-user",
            "x-portkey-cache-force-refresh": "",
            "x-portkey-strict-open-ai-compliance": "false",
        }
    )
    assert parsed.config == "chat"
    assert parsed.provider == "openai"
    assert parsed.bearer == "sk-1"
    assert parsed.metadata == {"plan": "paid", "n": "3", "beta": "true"}
    assert parsed.request_timeout_ms == 2500
    assert parsed.forward_headers == ("x-tenant", "x-user")
    assert parsed.cache_force_refresh
    assert parsed.strict_openai_compliance is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x-portkey-metadata", "not json"),
        ("x-portkey-metadata", '{"nested": {"a": 1}}'),
        ("x-portkey-request-timeout", "-5"),
        ("x-portkey-request-timeout", "soon"),
        ("x-portkey-trace-id", "has space"),
        ("x-portkey-forward-headers", "authorization"),
        ("x-portkey-forward-headers", "x-portkey-config"),
        ("authorization", "Basic abc"),
        ("x-portkey-strict-open-ai-compliance", "maybe"),
    ],
)
def test_bad_values_are_400s_naming_the_header(name: str, value: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_headers({name: value})
    assert info.value.status == 400
    assert name.split("-")[-1] in (info.value.param or "") + info.value.message


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "x-portkey-config",
                "x-portkey-metadata",
                "x-portkey-trace-id",
                "x-portkey-request-timeout",
                "x-portkey-forward-headers",
                "x-portkey-strict-open-ai-compliance",
                "x-portkey-custom-host",
                "authorization",
            ]
        ),
        st.text(max_size=80),
    )
)
def test_random_headers_parse_or_raise_a_request_error(headers: dict[str, str]) -> None:
    try:
        parse_headers(headers)
    except RequestError as exc:
        assert exc.status == 400 and exc.message
