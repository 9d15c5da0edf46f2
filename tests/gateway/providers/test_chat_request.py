"""Validated reading of OpenAI chat request parts shared by the translating adapters."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import RequestError
from gateway.providers.chat_request import (
    FunctionTool,
    ToolCallIn,
    data_url,
    function_tools,
    named_tool,
    stop_sequences,
    stream_usage_requested,
    tool_calls,
)


def test_tool_calls_parse_string_and_object_arguments() -> None:
    msg = {
        "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}},
            {"id": "b", "type": "function", "function": {"name": "g", "arguments": {"y": 2}}},
            {"type": "function", "function": {"name": "h"}},
        ]
    }
    assert tool_calls(msg, "messages[1]") == [
        ToolCallIn(id="a", name="f", arguments={"x": 1}),
        ToolCallIn(id="b", name="g", arguments={"y": 2}),
        ToolCallIn(id="", name="h", arguments={}),
    ]


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (3, "messages[1].tool_calls"),
        (["x"], "messages[1].tool_calls[0].function"),
        ([{"function": {"arguments": "{}"}}], "messages[1].tool_calls[0].function"),
        ([{"function": {"name": "f", "arguments": "[1]"}}], "messages[1].tool_calls[0].function.arguments"),
    ],
)
def test_malformed_tool_calls_are_400s_naming_the_field(raw: Any, param: str) -> None:
    with pytest.raises(RequestError) as info:
        tool_calls({"tool_calls": raw}, "messages[1]")
    assert info.value.param == param


def test_function_tools_keep_name_description_and_schema() -> None:
    tools = [
        {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}
    ]
    assert function_tools(tools) == [FunctionTool(name="f", description="d", parameters={"type": "object"})]
    assert function_tools(None) == []


@pytest.mark.parametrize(
    "raw",
    [5, [{"type": "code_interpreter"}], [{"type": "function", "function": {"name": "f", "parameters": 1}}]],
)
def test_unsupported_tools_are_refused(raw: Any) -> None:
    with pytest.raises(RequestError):
        function_tools(raw)


def test_named_tool_and_stop_sequences() -> None:
    assert named_tool({"type": "function", "function": {"name": "f"}}) == "f"
    assert stop_sequences("END") == ["END"]
    assert stop_sequences(["a", "b"]) == ["a", "b"]
    assert stop_sequences([]) is None
    with pytest.raises(RequestError):
        named_tool({"type": "function", "function": "f"})
    with pytest.raises(RequestError):
        stop_sequences([1])


def test_data_urls_are_split_and_other_urls_left_alone() -> None:
    assert data_url("data:image/png;base64,AAAA", "p") == ("image/png", "AAAA")
    assert data_url("https://example.com/a.png", "p") is None
    with pytest.raises(RequestError):
        data_url("data:image/png,AAAA", "p")
    with pytest.raises(RequestError):
        data_url(7, "p")


@pytest.mark.parametrize(
    ("options", "asked"),
    [(None, False), ({}, False), ({"include_usage": True}, True), ({"include_usage": False}, False)],
)
def test_stream_usage_requested_reads_include_usage(options: Any, asked: bool) -> None:
    assert stream_usage_requested({"stream_options": options}) is asked
    assert stream_usage_requested({}) is False


@pytest.mark.parametrize("options", ["yes", [True], 1])
def test_stream_options_that_is_not_an_object_is_a_400_naming_it(options: Any) -> None:
    with pytest.raises(RequestError) as info:
        stream_usage_requested({"stream_options": options})
    assert info.value.param == "stream_options"
