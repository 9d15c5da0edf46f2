"""A typo in any key of any manifest kind (and of a header config) is reported with "did you mean"."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler import CompiledGateway, compile_header_config, compile_sources
from compiler.loader import load_schemas
from compiler.pointer import join

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = load_schemas(REPO / "schemas")
_FREE_FORM = {
    "override_params",
    "query",
    "headers",
    "deployments",
    "schema",
    "variables",
    "request",
    "metadata",
    "upstreams",  # a `test` case's request body, metadata and outcome map
}
"""Keys whose children are user data, not schema keys."""

HEADER = {
    "strategy": {
        "mode": "conditional",
        "conditions": [{"query": {"metadata.plan": "paid"}, "then": "smart"}],
        "default": "fast",
        "cb_config": {"failure_threshold": 3, "cooldown_interval": 30000},
    },
    "targets": [
        {
            "name": "smart",
            "provider": "openai",
            "retry": {"attempts": 2, "on_status_codes": [429], "use_retry_after_header": True},
            "cache": {"mode": "simple", "max_age": 60},
            "request_timeout": 1000,
            "forward_headers": ["x-request-id"],
            "strict_open_ai_compliance": False,
            "override_params": {"model": "gpt-4o"},
        },
        {
            "name": "fast",
            "provider": "groq",
            "api_key": "gsk-test",
            "weight": 1,
            "before_request_hooks": [
                {
                    "type": "guardrail",
                    "deny": True,
                    "checks": [{"id": "default.wordCount", "parameters": {"maxWords": 9}}],
                }
            ],
        },
    ],
    "output_guardrails": [{"default.contains": {"operator": "none", "words": ["x"]}, "deny": True}],
}


def _typo(key: str) -> str:
    middle = len(key) // 2
    return key[:middle] + key[middle] + key[middle:]


def _key_paths(value: Any, pointer: str = "") -> Iterator[tuple[str, ...]]:  # Any: parsed YAML
    """Yield the token path of every schema key (free-form maps skipped; one list item each)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*_split(pointer), key)
            if key not in _FREE_FORM:
                yield from _key_paths(item, join(pointer, key))
    elif isinstance(value, list) and value:
        yield from _key_paths(value[0], join(pointer, 0))


def _split(pointer: str) -> tuple[str, ...]:
    return tuple(pointer.split("/")[1:]) if pointer else ()


def _rename(data: Any, path: tuple[str, ...]) -> Any:  # Any: parsed YAML
    out = copy.deepcopy(data)
    node = out
    for token in path[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    node[_typo(path[-1])] = node.pop(path[-1])
    return out


def _config_files() -> dict[str, str]:
    return {
        p.relative_to(REPO).as_posix(): p.read_text("utf-8")
        for p in sorted((REPO / "configs").rglob("*.yaml"))
    }


def _manifest_cases() -> list[tuple[str, int, tuple[str, ...]]]:
    cases: set[tuple[str, int, tuple[str, ...]]] = set()
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for name, text in _config_files().items():
        for index, doc in enumerate(yaml.safe_load_all(text)):
            for path in _key_paths(doc):
                shape = (doc["kind"], tuple("#" if t.isdigit() else t for t in path))
                if path != ("kind",) and shape not in seen:
                    seen.add(shape)
                    cases.add((name, index, path))
    return sorted(cases)


def _did_you_mean(diags: Any, pointer: str, word: str) -> bool:  # Any: tuple of Diagnostics
    return any(d.pointer == pointer and d.hint and f"did you mean `{word}`?" in d.hint for d in diags)


@pytest.mark.parametrize("case", _manifest_cases(), ids=lambda c: f"{c[0]}#{c[1]}:/{'/'.join(c[2])}")
def test_typo_in_manifest_key_suggests_the_right_key(case: tuple[str, int, tuple[str, ...]]) -> None:
    name, index, path = case
    files = _config_files()
    docs = list(yaml.safe_load_all(files[name]))
    docs[index] = _rename(docs[index], path)
    files[name] = yaml.safe_dump_all(docs, sort_keys=False)
    result = compile_sources(files, schemas=SCHEMAS)
    pointer = "/" + "/".join([*path[:-1], _typo(path[-1])])
    expected = path[-1].removeprefix("default.")
    assert _did_you_mean(result.diagnostics, pointer, expected), result.diagnostics


def _base() -> CompiledGateway:
    gateway = compile_sources(_config_files(), schemas=SCHEMAS).gateway
    assert gateway is not None
    return gateway


@pytest.mark.parametrize("path", sorted(set(_key_paths(HEADER))), ids=lambda p: "/" + "/".join(p))
def test_typo_in_header_key_suggests_the_right_key(path: tuple[str, ...]) -> None:
    header = json.dumps(_rename(HEADER, path))
    result = compile_header_config(header, _base(), schemas=SCHEMAS)
    pointer = "/" + "/".join([*path[:-1], _typo(path[-1])])
    assert _did_you_mean(result.diagnostics, pointer, path[-1].removeprefix("default.")), result.diagnostics


def test_the_sample_header_compiles_before_typos() -> None:
    result = compile_header_config(json.dumps(HEADER), _base(), schemas=SCHEMAS)
    assert result.ok, result.diagnostics
