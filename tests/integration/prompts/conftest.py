"""gw compiled from prompt manifests (with a partial) and served for real, with the wiring `gw serve` uses."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.server import GatewayServer, compiled_from, wired_server

ROUTES = """\
kind: guardrail
id: no_apple
applies_to: [input]
action: deny
checks:
  - type: default.contains
    parameters: {operator: none, words: [Apple]}
---
kind: route
id: support
provider: up
input_guardrails: [no_apple]
cache: {mode: simple, max_age: 60}
---
kind: route
id: limited
provider: up
---
kind: budget
id: limited_rate
scope: {kind: route, value: limited}
requests_per_minute: 1
"""

PROMPTS = """\
kind: prompt
id: support_reply
version: "2026-11-01"
route: support
params: {model: gpt-4o-mini, temperature: 0.2, max_tokens: 300}
variables:
  customer: {type: string, maxLength: 100}
  question: {type: string}
  tier: {type: string, enum: [free, pro], default: free}
  orders: {type: array, items: {type: string}, default: []}
messages:
  - role: system
    content: |
      {% include "partials/tone.j2" %}
  - role: user
    content: |
      I am {{ customer }} ({{ tier }}).
      {% for order in orders %}
      Order: {{ order }}
      {% endfor %}
  - role: user
    content: "{{ question }}"
---
kind: prompt
id: echo
version: v1
route: support
variables:
  probe: {type: object}
messages:
  - role: user
    content: "{{ probe[probe.key] }}"
---
kind: prompt
id: limited_hello
version: v1
route: limited
messages:
  - role: user
    content: hello
"""

TONE = "You answer support questions. Be brief and kind.\n"


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeOpenAI]:
    """The fake OpenAI upstream the prompts' route calls."""
    with FakeOpenAI("up") as fake:
        yield fake


@pytest.fixture
def server(upstream: FakeOpenAI) -> Iterator[GatewayServer]:
    """gw serving the prompts above (guardrail engine, memory cache) on loopback."""
    upstream.reset()
    provider = f"kind: provider\nid: up\ntype: openai-compatible\nbase_url: {upstream.url}\n"
    compiled = compiled_from(
        {
            "providers.yaml": provider,
            "routes.yaml": ROUTES,
            "prompts/support.yaml": PROMPTS,
            "prompts/partials/tone.j2": TONE,
        }
    )
    started, _ = wired_server(compiled, {"GW_CACHE": "1"})
    with started:
        yield started


@pytest.fixture
def client(server: GatewayServer) -> openai.OpenAI:
    """An OpenAI SDK client on the server (prompt endpoints go through its raw `post`)."""
    return server.client()
