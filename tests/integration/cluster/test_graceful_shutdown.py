"""SIGTERM on `gw serve` with 50 open streams: stop accepting, drain, flush the ledger, exit 0."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.cluster.conftest import StartCluster, write_manifests
from tests.integration.cluster.harness import Replica, ledger_rows, wait_until

pytestmark = pytest.mark.slow

STREAMS = 50
BODY = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "count slowly"}]}


@pytest.fixture
def slow_upstream(upstream: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """Every stream sends 30 chunks, one per `chunk_delay_s` set by the test."""
    yield upstream
    upstream.reset()


def refuses_connections(port: int) -> bool:
    """Whether nothing accepts on the port any more."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


async def open_streams_then_sigterm(
    replica: Replica, path: str = "/v1/chat/completions", body: dict[str, object] = BODY
) -> tuple[list[bytes], int]:
    """Open `STREAMS` streams on `path`, SIGTERM once every one has its first bytes; return each
    stream's full body and the exit code."""
    assert replica.proc is not None
    proc = replica.proc
    started = 0
    all_started = asyncio.Event()
    limits = httpx.Limits(max_connections=STREAMS)

    async def one(client: httpx.AsyncClient) -> bytes:
        nonlocal started
        received = b""
        headers = {"x-portkey-config": "streamed"}
        async with client.stream("POST", path, json=body, headers=headers) as response:
            assert response.status_code == 200
            async for chunk in response.aiter_bytes():
                if not received:
                    started += 1
                    if started == STREAMS:
                        all_started.set()
                received += chunk
        return received

    async def terminate() -> int:
        await all_started.wait()
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(wait_until, lambda: refuses_connections(replica.port), what="listener closed")
        return await asyncio.to_thread(proc.wait, 90)

    async with httpx.AsyncClient(base_url=replica.url, timeout=120, limits=limits) as client:
        stopping = asyncio.ensure_future(terminate())
        bodies = await asyncio.gather(*(one(client) for _ in range(STREAMS)))
        code = await stopping
    return list(bodies), code


def start_one(start_cluster: StartCluster, config: Path, drain_s: float) -> Replica:
    """One replica on the cluster manifests with the given drain deadline."""
    args = ["--config-dir", str(config), "--no-watch", "--drain-timeout", str(drain_s)]
    cluster, _ = start_cluster(1, args)
    return cluster.replicas[0]


def test_sigterm_drains_open_streams_flushes_the_ledger_and_exits_0(
    start_cluster: StartCluster,
    slow_upstream: FakeOpenAI,
    cluster_db: str,
    tmp_path: Path,
) -> None:
    replica = start_one(start_cluster, write_manifests(tmp_path, slow_upstream.url), drain_s=60)
    slow_upstream.default = Reply(text=" ".join(["tick"] * 30), chunk_delay_s=0.1)
    before = ledger_rows(cluster_db, "streamed")[0]
    bodies, code = asyncio.run(open_streams_then_sigterm(replica))
    assert code == 0
    assert all(body.endswith(b"data: [DONE]\n\n") for body in bodies)
    assert all(body.count(b"tick") == 30 for body in bodies)
    assert ledger_rows(cluster_db, "streamed")[0] == before + STREAMS  # flushed before the exit


def test_streams_open_at_the_drain_deadline_end_with_the_terminal_event(
    start_cluster: StartCluster,
    slow_upstream: FakeOpenAI,
    cluster_db: str,
    tmp_path: Path,
) -> None:
    replica = start_one(start_cluster, write_manifests(tmp_path, slow_upstream.url), drain_s=0.5)
    slow_upstream.default = Reply(text=" ".join(["tick"] * 30), chunk_delay_s=2.0)
    before = ledger_rows(cluster_db, "streamed", status=499)[0]
    bodies, code = asyncio.run(open_streams_then_sigterm(replica))
    assert code == 0
    for body in bodies:
        last = body.rstrip(b"\n").rsplit(b"\n\n", 1)[-1]
        assert b'"code":"server_shutting_down"' in last, body[-300:]
    assert ledger_rows(cluster_db, "streamed", status=499)[0] == before + STREAMS


def test_messages_streams_open_at_the_drain_deadline_end_with_an_anthropic_error_event(
    start_cluster: StartCluster, slow_upstream: FakeOpenAI, tmp_path: Path
) -> None:
    replica = start_one(start_cluster, write_manifests(tmp_path, slow_upstream.url), drain_s=0.5)
    slow_upstream.default = Reply(text=" ".join(["tick"] * 30), chunk_delay_s=2.0)
    question = [{"role": "user", "content": "hi"}]
    messages = {"model": "m", "max_tokens": 64, "stream": True, "messages": question}
    bodies, code = asyncio.run(open_streams_then_sigterm(replica, "/v1/messages", messages))
    assert code == 0
    for body in bodies:
        last = body.rstrip(b"\n").rsplit(b"\n\n", 1)[-1]
        assert last.startswith(b"event: error\n"), body[-300:]
        assert b'"type":"overloaded_error"' in last  # Anthropic's "retry later"; SDKs surface it


def test_sigterm_with_two_workers_drains_every_worker_and_exits_0(
    start_cluster: StartCluster, slow_upstream: FakeOpenAI, cluster_db: str, tmp_path: Path
) -> None:
    config = write_manifests(tmp_path, slow_upstream.url)
    args = ["--config-dir", str(config), "--no-watch", "--drain-timeout", "60", "--workers", "2"]
    cluster, _ = start_cluster(1, args)
    slow_upstream.default = Reply(text=" ".join(["tick"] * 30), chunk_delay_s=0.1)
    before = ledger_rows(cluster_db, "streamed")[0]
    bodies, code = asyncio.run(open_streams_then_sigterm(cluster.replicas[0]))
    assert code == 0
    assert all(body.endswith(b"data: [DONE]\n\n") and body.count(b"tick") == 30 for body in bodies)
    assert ledger_rows(cluster_db, "streamed")[0] == before + STREAMS
