"""`gw test` and the live server share the executor: a case and the same request over HTTP pick the same path.

The live side is the real uvicorn server with the official OpenAI SDK as client and fake OpenAI
upstreams on loopback; the example config's providers are pointed at the fakes, the tree is untouched.
Both sides seed the executor's RNG alike, so even the loadbalance draw (after a jittered retry wait,
which draws from the same RNG) must agree.
"""

from __future__ import annotations

import asyncio
import random

import msgspec
import pytest

from compiler.cases import TestCaseSpec
from compiler.specs import CompiledGateway, LeafSpec, NodeSpec, SecretRef
from compiler.suite import compile_suite_paths
from gateway.cli.test_cmd import run_case
from gateway.guardrails import GuardrailEngine
from gateway.runtime import Components
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.gitops.conftest import CONFIGS
from tests.integration.gateway.conftest import ServeFn

_FAKE_OF = {"openai": "a", "anthropic": "b"}
"""Which fake upstream stands in for which provider (every other provider: `c`)."""


def _case(compiled: CompiledGateway, case_id: str) -> TestCaseSpec:
    suite = compile_suite_paths([CONFIGS / "tests"], compiled)
    return next(c for c in suite.cases if c.id == case_id)


def _on_fakes(compiled: CompiledGateway, fakes: dict[str, FakeOpenAI]) -> CompiledGateway:
    providers = tuple(
        msgspec.structs.replace(
            p,
            type="openai",
            base_url=fakes[_FAKE_OF.get(p.id, "c")].url,
            api_key=SecretRef(env="GW_TEST_KEY"),
            api_version=None,
            deployments=(),
            headers=(),
        )
        for p in compiled.providers
    )
    return msgspec.structs.replace(compiled, providers=providers)


def _fake_statuses(compiled: CompiledGateway, case: TestCaseSpec) -> dict[str, int]:
    """The status each fake answers with: the case's scripted outcome for the provider behind it."""
    route = next(r for r in compiled.routes if r.id == case.route)
    leaves: list[LeafSpec] = []
    stack: list[NodeSpec] = [route.root]
    while stack:
        node = stack.pop()
        if isinstance(node, LeafSpec):
            leaves.append(node)
        else:
            stack.extend(node.targets)
    out: dict[str, int] = {}
    for key, outcomes in case.upstreams:
        under = {leaf.provider for leaf in leaves if leaf.path == key or leaf.path.startswith(key + ".")}
        for provider in under or {key}:
            out[_FAKE_OF.get(provider, "c")] = outcomes[-1].status
    return out


def _live_path(
    compiled: CompiledGateway, case: TestCaseSpec, fakes: dict[str, FakeOpenAI], serve: ServeFn
) -> tuple[str, list[int]]:
    """Send the case's request through the live server; return the answering path and calls per fake."""
    for name, status in _fake_statuses(compiled, case).items():
        fakes[name].default = Reply(status=status)
    components = Components(
        guardrails=GuardrailEngine.from_compiled(compiled),
        rng=random.Random(case.seed),  # the same seed as the case
    )
    server = serve(_on_fakes(compiled, fakes), components=components, watch=False)
    headers = {"x-portkey-metadata": msgspec.json.encode(dict(case.metadata)).decode()}
    client = server.client(case.route, **headers)
    raw = client.chat.completions.with_raw_response.create(**msgspec.json.decode(case.body))
    if msgspec.json.decode(case.body).get("stream"):
        assert [chunk for chunk in raw.parse()]  # read the stream to its end
    return raw.headers["x-portkey-last-used-option-index"], [len(fakes[n].requests) for n in "abc"]


@pytest.mark.parametrize(
    ("case_id", "stream"),
    [
        ("nested_enterprise_falls_back_into_loadbalance", False),
        ("nested_enterprise_falls_back_into_loadbalance", True),
        ("fallback_after_rate_limits", False),
    ],
)
def test_gw_test_case_and_live_server_choose_the_same_target_path(
    compiled: CompiledGateway, upstreams: dict[str, FakeOpenAI], serve: ServeFn, case_id: str, stream: bool
) -> None:
    case = _case(compiled, case_id)
    # The SDK needs a model; overrides replace it on every target of these routes, on both sides.
    body = {"model": "gpt-4o-mini", **msgspec.json.decode(case.body), **({"stream": True} if stream else {})}
    case = msgspec.structs.replace(case, body=msgspec.json.encode(body).decode())
    simulated = asyncio.run(run_case(compiled, case))
    assert simulated.passed, simulated.differences
    try:
        path, calls = _live_path(compiled, case, upstreams, serve)
    finally:
        for fake in upstreams.values():
            fake.reset()
    assert path == simulated.trial.target
    expected = {"a": 0, "b": 0, "c": 0}
    for call in simulated.trial.calls:
        expected[_FAKE_OF.get(call.provider, "c")] += 1
    assert calls == [expected["a"], expected["b"], expected["c"]]
