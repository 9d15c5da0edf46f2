"""Cluster fixtures: per module a Valkey, a fresh migrated PostgreSQL database behind a TCP proxy,
a fake OpenAI upstream, and a factory for `gw serve` replicas behind the load balancer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from gateway.storage.migrations import upgrade
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.cluster.balancer import LoadBalancer
from tests.integration.cluster.harness import Cluster, base_env
from tests.integration.storage.databases import private_database
from tests.integration.storage.tcp_proxy import TcpProxy
from tests.services import ValkeyServer

pytestmark = pytest.mark.slow

StartCluster = Callable[..., tuple[Cluster, LoadBalancer]]
"""`start(count, args, env={...})`: replicas with `gw serve` arguments and extra environment."""

MANIFESTS = """\
kind: provider
id: up
type: openai-compatible
base_url: {base_url}
---
kind: route
id: steady
provider: up
cache: {{mode: simple, max_age: 60}}
---
kind: budget
id: roomy
scope: {{kind: route, value: steady}}
period: total
limit_usd: 1000
default_reservation_usd: 0.0001
requests_per_minute: 1000000
---
kind: route
id: killed
provider: up
---
kind: route
id: budgeted
provider: up
---
kind: budget
id: fifty
scope: {{kind: route, value: budgeted}}
period: total
limit_usd: 1.0
default_reservation_usd: 0.02
---
kind: route
id: limited
provider: up
---
kind: budget
id: twenty_rpm
scope: {{kind: route, value: limited}}
requests_per_minute: 20
---
kind: route
id: streamed
provider: up
"""


def write_manifests(directory: Path, upstream_url: str) -> Path:
    """The cluster's manifests (routes `steady`, `killed`, `budgeted`, `limited`, `streamed`) in
    `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "gateway.yaml").write_text(MANIFESTS.format(base_url=upstream_url))
    return directory


@pytest.fixture(scope="module")
def cluster_valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ValkeyServer]:
    """A Valkey of this module's own (tests stop and restart it)."""
    server = ValkeyServer(tmp_path_factory.mktemp("cluster-valkey"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster_db(pg_url: str) -> Iterator[str]:
    """A fresh, migrated database for this module (direct URL, for the test's own queries)."""
    with private_database(pg_url, "gw_cluster") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def pg_proxy(cluster_db: str) -> Iterator[TcpProxy]:
    """The replicas' way to PostgreSQL: `stop()` / `start()` is a database restart to them."""
    proxy = TcpProxy(make_url(cluster_db).port or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def api_key(cluster_db: str) -> str:
    """A virtual key created with `gw keys create` in this module's database."""
    cmd = [sys.executable, "-m", "gateway.cli.main", "keys", "create", "--name", "cluster"]
    cmd += ["--format", "secret", "--database-url", cluster_db]
    created = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60)
    return created.stdout.strip()


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    """The fake OpenAI API every replica calls."""
    with FakeOpenAI("up") as fake:
        yield fake


@pytest.fixture(scope="module")
def start_cluster(
    tmp_path_factory: pytest.TempPathFactory,
    cluster_valkey: ValkeyServer,
    cluster_db: str,
    pg_proxy: TcpProxy,
) -> Iterator[StartCluster]:
    """Start `count` replicas with `gw serve` arguments, behind a load balancer."""
    started: list[tuple[Cluster, LoadBalancer]] = []
    proxied = make_url(cluster_db).set(port=pg_proxy.port).render_as_string(hide_password=False)

    def start(count: int, args: list[str], env: dict[str, str] | None = None) -> tuple[Cluster, LoadBalancer]:
        env = base_env(valkey_url=cluster_valkey.url, database_url=proxied, extra=(env or {}).items())
        cluster = Cluster(tmp_path_factory.mktemp("cluster"), env)
        started.append((cluster, LoadBalancer([]).start()))
        cluster.start(count, args)
        balancer = started[-1][1]
        balancer.backends = [replica.url for replica in cluster.replicas]
        return cluster, balancer

    yield start
    for cluster, balancer in started:
        balancer.stop()
        cluster.stop()
