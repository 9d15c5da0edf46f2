"""OpenAI's embeddings shape built from plain vectors (float and base64)."""

from __future__ import annotations

import base64
import struct

import pytest

from gateway.errors import RequestError
from gateway.providers.embeddings import embedding_inputs, embeddings_body, encode_vector


def test_base64_is_little_endian_float32_like_openai() -> None:
    encoded = encode_vector([1.0, -2.5], "base64")
    assert isinstance(encoded, str)
    assert struct.unpack("<2f", base64.b64decode(encoded)) == (1.0, -2.5)


def test_body_lists_vectors_in_input_order_with_usage() -> None:
    body = embeddings_body([[0.1], [0.2]], model="m", encoding_format=None, prompt_tokens=4)
    assert [(d["index"], d["embedding"]) for d in body["data"]] == [(0, [0.1]), (1, [0.2])]
    assert body["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    assert body["object"] == "list" and body["model"] == "m"


def test_unknown_encoding_format_is_refused() -> None:
    with pytest.raises(RequestError) as info:
        embeddings_body([[0.1]], model="m", encoding_format="int8", prompt_tokens=0)
    assert info.value.param == "encoding_format"


@pytest.mark.parametrize("value", [[], [1, 2, 3], [[1, 2]], None])
def test_token_or_empty_inputs_are_refused(value: object) -> None:
    with pytest.raises(RequestError) as info:
        embedding_inputs({"input": value}, "gemini")
    assert info.value.param == "input"


def test_string_input_becomes_a_batch_of_one() -> None:
    assert embedding_inputs({"input": "hi"}, "ollama") == ["hi"]
