"""Config pull mode on a real local git repository: spec parsing, checkout, swap, prune, reload."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway.app.distribution import GitConfigSource, parse_git_spec


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "HOME": str(repo.parent),
        "PATH": os.environ["PATH"],
    }
    cmd = ["git", "-C", str(repo), *args]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "gw").mkdir()
    (path / "gw" / "routes.yaml").write_text("kind: route\nid: one\nprovider: p\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "one")
    return path


@pytest.mark.parametrize(
    ("text", "url", "ref"),
    [
        ("file:///srv/config@main", "file:///srv/config", "main"),
        ("/srv/config", "/srv/config", "HEAD"),
        ("git@example.com:team/config.git@v1.2", "git@example.com:team/config.git", "v1.2"),
        ("git@example.com:team/config.git", "git@example.com:team/config.git", "HEAD"),
        ("https://example.com/config.git@release/2", "https://example.com/config.git@release/2", "HEAD"),
    ],
)
def test_a_spec_splits_at_the_last_at_sign_after_the_path(text: str, url: str, ref: str) -> None:
    spec = parse_git_spec(text)
    assert (spec.url, spec.ref) == (url, ref)


def test_credentials_in_the_url_never_reach_logs_or_errors() -> None:
    spec = parse_git_spec("https://bot:s3cret@git.example.com/team/config.git@main")
    assert spec.safe_url == "https://***@git.example.com/team/config.git"
    assert "s3cret" not in repr(spec)


def test_the_first_sync_checks_out_the_ref_under_current(repo: Path, tmp_path: Path) -> None:
    source = GitConfigSource(parse_git_spec(f"file://{repo}@main", "gw"), tmp_path / "work")
    assert source.sync() is True
    assert (source.config_dir / "routes.yaml").read_text().startswith("kind: route")
    assert source.commit == git(repo, "rev-parse", "HEAD")
    assert source.sync() is False  # same commit: nothing to do


def test_a_new_commit_swaps_current_and_old_checkouts_are_pruned(repo: Path, tmp_path: Path) -> None:
    source = GitConfigSource(parse_git_spec(str(repo) + "@main", "gw"), tmp_path / "work")
    source.sync()
    for n in range(5):
        (repo / "gw" / "routes.yaml").write_text(f"kind: route\nid: r{n}\nprovider: p\n")
        git(repo, "commit", "-q", "-am", f"r{n}")
        assert source.sync() is True
        assert f"id: r{n}" in (source.config_dir / "routes.yaml").read_text()
    assert len(list((tmp_path / "work" / "checkouts").iterdir())) <= 3


def test_processes_sharing_a_work_directory_each_see_a_new_commit_once(repo: Path, tmp_path: Path) -> None:
    spec = parse_git_spec(f"{repo}@main", "gw")
    first = GitConfigSource(spec, tmp_path / "work")
    first.sync()
    second = GitConfigSource(spec, tmp_path / "work")  # a worker started after the first checkout
    assert second.sync() is False
    (repo / "gw" / "routes.yaml").write_text("kind: route\nid: two\nprovider: p\n")
    git(repo, "commit", "-q", "-am", "two")
    assert first.sync() is True  # checks the commit out
    assert second.sync() is True  # finds it checked out, still reloads its own process
    assert (first.sync(), second.sync()) == (False, False)


def test_an_unreachable_repository_raises_without_touching_current(repo: Path, tmp_path: Path) -> None:
    source = GitConfigSource(parse_git_spec(f"{repo}@main", "gw"), tmp_path / "work")
    source.sync()
    before = source.commit
    source.spec = parse_git_spec(f"{tmp_path / 'missing'}@main", "gw")
    with pytest.raises(RuntimeError, match="git fetch failed"):
        source.sync()
    assert source.commit == before


def test_run_reloads_once_per_new_commit_and_stops(repo: Path, tmp_path: Path) -> None:
    source = GitConfigSource(parse_git_spec(f"{repo}@main", "gw"), tmp_path / "work", interval_s=0.05)
    source.sync()
    reasons: list[str] = []

    async def reload(reason: str) -> dict[str, Any]:
        reasons.append(reason)
        source.stop()  # one new commit is enough
        return {"ok": True}

    (repo / "gw" / "routes.yaml").write_text("kind: route\nid: two\nprovider: p\n")
    git(repo, "commit", "-q", "-am", "two")
    asyncio.run(asyncio.wait_for(source.run(reload), 30))
    assert reasons == ["git"]
