"""`gw serve` as a subprocess with a semantic route: the model is loaded once, before the port opens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.caching.gateway import PROVIDER_KEY
from tests.services import free_port, wait_port

pytestmark = pytest.mark.integration


def test_gw_serve_warms_the_semantic_cache_once_before_serving(
    upstream: FakeOpenAI, tmp_path: Path, model_dir: Path
) -> None:
    config = tmp_path / "configs"
    config.mkdir()
    (config / "gw.yaml").write_text(
        f"kind: provider\nid: up\ntype: openai\nbase_url: {upstream.url}\n"
        "api_key: {env: GW_CACHE_TEST_KEY}\n"
        "---\nkind: route\nid: faq\nprovider: up\ncache: {mode: semantic, max_age: 600}\n"
    )
    port = free_port()
    env = {
        **os.environ,
        "GW_CACHE_TEST_KEY": PROVIDER_KEY,
        "GW_WATCH": "0",
        "GW_MODEL_DIR": str(model_dir),
        "GW_SEMANTIC_CACHE_URI": str(tmp_path / "lance"),
    }
    env.pop("GW_DATABASE_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "gateway.cli.main",
        "serve",
        "--config-dir",
        str(config),
        "--port",
        str(port),
    ]
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            wait_port(port, timeout=60)
            upstream.default = Reply(text="Paris.")
            client = openai.OpenAI(
                base_url=f"http://127.0.0.1:{port}/v1",
                api_key="unused",
                max_retries=0,
                default_headers={"x-portkey-config": "faq"},
            )
            # The store task is scheduled before the response is written, and its vector write is queued
            # on the cache's one worker thread ahead of any later lookup: no wait is needed here.
            with client:
                statuses = []
                for question in ("What is the capital of France?", "what is the capital city of France?"):
                    raw = client.chat.completions.with_raw_response.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
                    )
                    statuses.append(raw.headers["x-portkey-cache-status"])
        finally:
            proc.terminate()
            proc.wait(30)
    assert statuses == ["SEMANTIC MISS", "SEMANTIC HIT"]
    assert len(upstream.requests) == 1
    warmed = [line for line in log.read_text().splitlines() if "semantic cache warmed up" in line]
    assert len(warmed) == 1, warmed
