"""gw compiled from guardrail manifests and served for real (the components `gw serve` wires)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from compiler import compile_header_config
from tests.fakes.loopback import LoopbackServer
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.server import GatewayServer, compiled_from, wired_server

GUARDRAILS = """\
kind: guardrail
id: reviewer
applies_to: [output]
action: deny
checks:
  - type: webhook
    parameters: {webhookURL: "WEBHOOK_URL", failMode: closed, timeout: 5000}
---
kind: guardrail
id: no_secrets
applies_to: [input]
action: deny
checks:
  - type: pii
    parameters: {kinds: [api_key]}
---
kind: guardrail
id: no_apple
applies_to: [input]
action: deny
checks:
  - type: default.contains
    parameters: {operator: none, words: [Apple]}
---
kind: guardrail
id: polite
applies_to: [input]
action: flag
checks:
  - type: keywords
    parameters: {lists: [{name: abuse, severity: high, words: [idiot]}]}
---
kind: guardrail
id: mask_pii
applies_to: [input, output]
action: redact
checks:
  - type: pii
    parameters: {kinds: [email, credit_card]}
---
kind: guardrail
id: no_cards
applies_to: [output]
action: deny
checks:
  - type: pii
    parameters: {kinds: [credit_card]}
---
kind: guardrail
id: short_answers
applies_to: [output]
action: flag
stream_mode: end
checks:
  - type: default.wordCount
    parameters: {minWords: 0, maxWords: 3}
"""

ROUTES = """\
kind: policy
id: default
enforced_input_guardrails: [no_secrets]
header_configs: true
---
kind: route
id: plain
provider: up
---
kind: route
id: denied
provider: up
input_guardrails: [no_apple]
---
kind: route
id: flagged
provider: up
input_guardrails: [polite]
output_guardrails: [short_answers]
---
kind: route
id: masked
provider: up
input_guardrails: [mask_pii]
output_guardrails: [mask_pii]
---
kind: route
id: card_deny
provider: up
output_guardrails: [no_cards]
---
kind: route
id: buffered
provider: up
buffer_stream: true
output_guardrails: [mask_pii, reviewer]
"""


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeOpenAI]:
    """The fake OpenAI upstream every route calls."""
    with FakeOpenAI("up") as fake:
        yield fake


class FakeWebhook(LoopbackServer):
    """A guardrail webhook on loopback: answers scripted `{"verdict": …}` bodies (default: pass)."""

    def add_routes(self, app: web.Application) -> None:
        """Register `POST /hook`."""
        app.router.add_post("/hook", self._hook)

    async def _hook(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.json_response(self.next_reply().body or {"verdict": True})


@pytest.fixture(scope="session")
def webhook() -> Iterator[FakeWebhook]:
    """The webhook the `reviewer` guardrail calls."""
    with FakeWebhook("webhook") as fake:
        yield fake


@pytest.fixture
def server(upstream: FakeOpenAI, webhook: FakeWebhook) -> Iterator[GatewayServer]:
    """gw serving the manifests above with the real wiring (guardrail engine per config)."""
    upstream.reset()
    webhook.reset()
    provider = f"kind: provider\nid: up\ntype: openai-compatible\nbase_url: {upstream.url}\n"
    guardrails = GUARDRAILS.replace("WEBHOOK_URL", webhook.base_url + "/hook")
    compiled = compiled_from(
        {"providers.yaml": provider, "guardrails.yaml": guardrails, "routes.yaml": ROUTES}
    )
    started, _ = wired_server(compiled, {"GW_CACHE": "0"}, compile_header=compile_header_config)
    with started:
        yield started


def sse_payloads(raw: bytes) -> list[Any]:
    """The decoded `data:` payloads of an SSE body (`[DONE]` kept as the string)."""
    out: list[Any] = []
    for frame in raw.split(b"\n\n"):
        if frame.startswith(b"data: "):
            data = frame[6:]
            out.append("[DONE]" if data == b"[DONE]" else json.loads(data))
    return out
