"""Config pull mode: replicas started with `--config-git URL@REF` converge on each new commit."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.cluster.balancer import LoadBalancer
from tests.integration.cluster.conftest import StartCluster, write_manifests
from tests.integration.cluster.harness import Cluster, wait_until

pytestmark = pytest.mark.slow

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def git(repo: Path, *args: str) -> None:
    """Run git in the test repository (an identity of its own, no user config)."""
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "HOME": str(repo.parent)}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def config_repo(tmp_path_factory: pytest.TempPathFactory, upstream: FakeOpenAI) -> Path:
    """A git repository whose `main` holds the cluster manifests under `gw/`."""
    repo = tmp_path_factory.mktemp("config-repo")
    git(repo, "init", "-q", "-b", "main")
    write_manifests(repo / "gw", upstream.url)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    return repo


@pytest.fixture(scope="module")
def pulled(start_cluster: StartCluster, config_repo: Path) -> tuple[Cluster, LoadBalancer]:
    """Two replicas polling `file://<repo>@main` every 0.2 s."""
    args = ["--config-git", f"file://{config_repo}@main", "--config-git-subdir", "gw"]
    return start_cluster(2, [*args, "--config-git-interval", "0.2"])


def logged(log: Path, text: str) -> bool:
    """Whether a replica's log holds `text`."""
    return text in log.read_text()


def hashes(cluster: Cluster) -> set[str]:
    """The distinct config hashes the replicas report."""
    return {replica.config_hash() for replica in cluster.replicas}


def test_a_manifest_commit_reaches_every_replica(
    pulled: tuple[Cluster, LoadBalancer], config_repo: Path
) -> None:
    cluster, balancer = pulled
    (before,) = hashes(cluster)
    manifests = config_repo / "gw" / "gateway.yaml"
    manifests.write_text(
        manifests.read_text() + "---\nkind: route\nid: renamed\nprovider: up\noverride_params:\n  model: v2\n"
    )
    git(config_repo, "commit", "-q", "-am", "add a route")
    wait_until(lambda: len(hashes(cluster) - {before}) == 1 and len(hashes(cluster)) == 1, what="converge")
    headers = {"x-portkey-config": "renamed"}
    for _ in range(len(cluster.replicas)):  # round robin: each replica answers once
        response = httpx.post(balancer.url + "/v1/chat/completions", json=BODY, headers=headers, timeout=10)
        assert response.status_code == 200
        assert response.json()["model"] == "v2"


def test_a_commit_that_does_not_compile_is_refused_everywhere(
    pulled: tuple[Cluster, LoadBalancer], config_repo: Path
) -> None:
    cluster, _ = pulled
    (before,) = hashes(cluster)
    (config_repo / "gw" / "broken.yaml").write_text("kind: route\nid: broken\nprovider: nowhere\n")
    git(config_repo, "add", ".")
    git(config_repo, "commit", "-q", "-m", "broken")
    for replica in cluster.replicas:
        wait_until(partial(logged, replica.log, "reload refused (git)"), what="the refusal logged")
    assert hashes(cluster) == {before}


def serve_once(*args: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """`gw serve` that is expected to refuse to start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GW_")}
    env["GW_CONFIG_GIT_DIR"] = str(workdir)
    cmd = [sys.executable, "-m", "gateway.cli.main", "serve", *args, "--port", "1"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)


def test_serve_refuses_to_start_when_the_ref_cannot_be_fetched(tmp_path: Path) -> None:
    result = serve_once("--config-git", f"file://{tmp_path / 'nowhere'}@main", workdir=tmp_path / "w")
    assert result.returncode == 2
    assert "cannot pull the config: git fetch failed" in result.stderr


def test_serve_refuses_to_start_on_a_commit_that_does_not_compile(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "routes.yaml").write_text("kind: route\nid: chat\nprovider: nowhere\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "broken")
    result = serve_once("--config-git", f"{repo}@main", workdir=tmp_path / "w")
    assert result.returncode == 1
    assert "routes.yaml:3" in result.stderr
