"""Semantic caching through the real server: the offline model, a real LanceDB table, the fact check.

The server is started with a semantic route, so `Wiring.startup` loads the model before the first
request; the table lives in the test's own directory.
"""

from __future__ import annotations

import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.caching.conftest import StartFn
from tests.integration.caching.gateway import CacheGateway

pytestmark = pytest.mark.integration

STATUS = "x-portkey-cache-status"
SIMILARITY = "x-gw-cache-similarity"


@pytest.fixture
def gw(start_gateway: StartFn) -> CacheGateway:
    """A server with one semantic route at the shipped default threshold (0.90)."""
    return start_gateway({"faq": "{mode: semantic, max_age: 600}"})


def test_model_is_loaded_before_the_first_request(gw: CacheGateway) -> None:
    embedder = gw.cache._semantic.embedder
    assert embedder._model is not None


def test_paraphrase_is_a_semantic_hit_with_its_similarity(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client = gw.client("faq")
    upstream.default = Reply(text="Paris.")
    answer, headers = gw.ask(client, "What is the capital of France?")
    assert (answer, headers[STATUS]) == ("Paris.", "SEMANTIC MISS")
    assert SIMILARITY not in headers
    answer, headers = gw.ask(client, "what is the capital city of France?")
    assert (answer, headers[STATUS]) == ("Paris.", "SEMANTIC HIT")
    assert 0.90 <= float(headers[SIMILARITY]) <= 1.0
    assert gw.ask(client, "What is the capital of France?")[1][STATUS] == "HIT"
    assert len(upstream.requests) == 1
    assert gw.lookups("faq", "semantic", "hit") == 2
    assert gw.lookups("faq", "semantic", "miss") == 1


def test_near_miss_is_a_semantic_miss_served_by_the_upstream(gw: CacheGateway, upstream: FakeOpenAI) -> None:
    client = gw.client("faq")
    upstream.script(Reply(text="Paris."), Reply(text="Berlin."))
    gw.ask(client, "What is the capital of France?")
    answer, headers = gw.ask(client, "What is the capital of Germany?")
    assert (answer, headers[STATUS]) == ("Berlin.", "SEMANTIC MISS")
    assert SIMILARITY not in headers
    assert len(upstream.requests) == 2


def test_paraphrase_of_a_streamed_answer_is_replayed_as_a_stream(
    gw: CacheGateway, upstream: FakeOpenAI
) -> None:
    client = gw.client("faq")
    upstream.default = Reply(text="Water boils at 100 degrees Celsius at sea level.")
    first, headers = gw.ask_streaming(client, "At what temperature does water boil?")
    assert headers[STATUS] == "SEMANTIC MISS"
    replayed, headers = gw.ask_streaming(client, "At what temperature does water boil at?")
    assert (replayed, headers[STATUS]) == (first, "SEMANTIC HIT")
    assert float(headers[SIMILARITY]) >= 0.90
    assert len(upstream.requests) == 1


def test_namespace_and_force_refresh_apply_to_semantic_entries(
    gw: CacheGateway, upstream: FakeOpenAI
) -> None:
    client = gw.client("faq")
    ns = {"x-portkey-cache-namespace": "team-a"}
    gw.ask(client, "What is the capital of France?", **ns)
    assert gw.ask(client, "what is the capital city of France?")[1][STATUS] == "SEMANTIC MISS"
    assert gw.ask(client, "what is the capital city of France?", **ns)[1][STATUS] == "SEMANTIC HIT"
    refresh = {**ns, "x-portkey-cache-force-refresh": "true"}
    assert gw.ask(client, "what is the capital city of France?", **refresh)[1][STATUS] == "REFRESH"
    assert len(upstream.requests) == 3
