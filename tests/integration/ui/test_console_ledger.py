"""With storage on, the console's spend tables come from the usage ledger (real PostgreSQL)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from compiler.specs import CompiledGateway
from gateway.app.wiring import Wiring
from gateway.telemetry import ConsoleFeed, Metrics, Telemetry
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.conftest import ServeFn
from tests.integration.storage.conftest import pg_db_url, pg_migrated_url

__all__ = ["pg_db_url", "pg_migrated_url"]


def test_spend_by_key_route_and_model_is_read_from_the_ledger(
    manifests: Callable[[], CompiledGateway],
    serve: ServeFn,
    upstreams: dict[str, FakeOpenAI],
    pg_migrated_url: str,
    tmp_path: Path,
) -> None:
    del upstreams
    env = {"GW_DATABASE_URL": pg_migrated_url, "GW_USAGE_SPOOL": str(tmp_path / "spool.jsonl")}
    telemetry = Telemetry(metrics=Metrics(), console=ConsoleFeed())
    wiring = Wiring(env, config_root=Path("configs"), telemetry=telemetry)
    server = serve(
        manifests(),
        components=wiring.for_config,
        telemetry=telemetry,
        startup=[wiring.startup],
        shutdown=[wiring.shutdown],
        storage=wiring.storage,
    )
    server.client("solo").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    with httpx.Client(base_url=server.base) as client:
        client.post("/ui/login", data={"token": "admin-secret"}, headers={"origin": server.base})
        deadline = time.monotonic() + 20  # the ledger writes in the background, in batches
        page = client.get("/ui").text
        while (
            not re.search(r"<td>solo</td><td class=\"num\">\$0\.\d*[1-9]", page)
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
            page = client.get("/ui").text
    assert "from the usage ledger" in page
    assert re.search(r"<td>solo</td><td class=\"num\">\$0\.\d*[1-9]", page)
    assert re.search(r"<td>gpt-4o-mini</td><td class=\"num\">\$0\.\d*[1-9]", page)
