"""`/ready` while PostgreSQL does not answer follows `policy.on_database_down`.

`spool` (the default) keeps the replica in service: rows go to the spool, keys come from the verified
cache, and `/ready` stays 200 with the database reported down under `fallbacks`. `fail_closed` answers
503 so the orchestrator stops routing to it. The database is cut with a TCP proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.server import compiled_from, wired_server
from tests.integration.storage.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration]

MANIFESTS = """\
kind: policy
id: p
on_database_down: {mode}
---
kind: provider
id: up
type: openai-compatible
base_url: {base_url}
---
kind: route
id: chat
provider: up
"""


@pytest.fixture
def proxy(pg_migrated_url: str) -> Iterator[TcpProxy]:
    """The gateway's way to the database; `stop()` makes it unreachable."""
    tcp = TcpProxy(make_url(pg_migrated_url).port or 5432)
    tcp.start()
    yield tcp
    tcp.stop()


@pytest.mark.parametrize(("mode", "status_while_down"), [("spool", 200), ("fail_closed", 503)])
def test_ready_while_the_database_is_down_follows_on_database_down(
    mode: str, status_while_down: int, proxy: TcpProxy, pg_migrated_url: str, tmp_path: Path
) -> None:
    proxied = make_url(pg_migrated_url).set(port=proxy.port).render_as_string(hide_password=False)
    env = {"GW_DATABASE_URL": proxied, "GW_USAGE_SPOOL": str(tmp_path / "spool.jsonl")}
    with FakeOpenAI("up") as upstream:
        compiled = compiled_from({"gw.yaml": MANIFESTS.format(mode=mode, base_url=upstream.url)})
        server, _ = wired_server(compiled, env)
        with server:
            up = httpx.get(server.base + "/ready", timeout=10)
            assert up.status_code == 200
            assert up.json()["fallbacks"]["database"]["up"] is True
            proxy.stop()
            down = httpx.get(server.base + "/ready", timeout=10)
            chat = httpx.post(
                server.base + "/v1/chat/completions",
                json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
                headers={"x-portkey-config": "chat"},
                timeout=10,
            )
            proxy.start()
    assert down.status_code == status_while_down
    database = down.json()["fallbacks"]["database"]
    assert database["up"] is False and database["policy"] == f"on_database_down: {mode}"
    assert chat.status_code == 200  # requests keep being served either way; only routing changes
