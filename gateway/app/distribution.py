"""Config pull mode: every replica polls one git ref and serves the manifests it points to.

`gw serve --config-git URL@REF` keeps a private clone under a work directory. Each poll fetches REF
(a branch, tag or commit; a local path or `file://` URL works as well as a remote), and when the
commit changed it checks the tree out into a new directory, points the `current` symlink at it
(an atomic rename) and asks the reloader to compile and swap. The reloader compiles `current` aside,
so a commit that does not compile is refused and logged, and the replica keeps serving the last good
config. Replicas that poll the same ref converge on the same `content_hash` (`GET /admin/config`).

    <workdir>/repo             the clone (fetch only, no remote configured)
    <workdir>/checkouts/<sha>  one tree per fetched commit (the last few are kept)
    <workdir>/current          symlink to checkouts/<sha>[/<subdir>]: the reloader's config dir
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

__all__ = ["GitConfigSource", "GitSpec", "parse_git_spec"]

_LOG = logging.getLogger("gw.distribution")
_KEEP_CHECKOUTS = 3
_GIT_TIMEOUT_S = 60.0

Reload = Callable[[str], Awaitable[dict[str, Any]]]  # Any: the reloader's JSON report


class GitSpec:
    """Where to pull from: repository URL, ref and the manifest directory inside the tree."""

    def __init__(self, url: str, ref: str, subdir: str = "") -> None:
        self.url = url
        self.ref = ref
        self.subdir = subdir.strip("/")

    @property
    def safe_url(self) -> str:
        """The URL without credentials (`https://user:token@host/...` -> `https://***@host/...`)."""
        scheme, sep, rest = self.url.partition("://")
        host_part, slash, path = rest.partition("/")
        if not sep or "@" not in host_part:
            return self.url
        return f"{scheme}://***@{host_part.rpartition('@')[2]}{slash}{path}"

    def __repr__(self) -> str:
        return f"GitSpec({self.safe_url!r}@{self.ref!r}, subdir={self.subdir!r})"


def parse_git_spec(text: str, subdir: str = "") -> GitSpec:
    """Split `URL@REF` (REF defaults to `HEAD`); an `@` before the last `/` belongs to the URL."""
    head, sep, ref = text.rpartition("@")
    if not sep or "/" in ref or not head:
        return GitSpec(text, "HEAD", subdir)
    return GitSpec(head, ref, subdir)


class GitConfigSource:
    """Fetches a git ref into a work directory and triggers a reload when its commit changes."""

    def __init__(self, spec: GitSpec, workdir: Path, *, interval_s: float = 10.0) -> None:
        self.spec = spec
        self.workdir = workdir
        self.interval_s = interval_s
        self._stop = asyncio.Event()
        self._seen = self.commit
        """The commit this process last served (workers sharing the work directory each reload)."""

    @property
    def config_dir(self) -> Path:
        """The directory the reloader compiles (a symlink swapped on every new commit)."""
        return self.workdir / "current"

    @property
    def commit(self) -> str | None:
        """The commit `current` points at, or None before the first sync."""
        try:
            target = Path(os.readlink(self.config_dir))
        except OSError:
            return None
        parts = target.parts
        return parts[parts.index("checkouts") + 1] if "checkouts" in parts else None

    def _git(self, verb: str, *args: str, repo: Path | None = None) -> str:
        where = ["-C", str(repo)] if repo is not None else []
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", *where, verb, *args],  # noqa: S607 - git from PATH, like any operator's
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
        if result.returncode != 0:
            detail = result.stderr.strip()[:300].replace(self.spec.url, self.spec.safe_url)
            raise RuntimeError(f"git {verb} failed: {detail}")
        return result.stdout.strip()

    def sync(self) -> bool:
        """Fetch the ref and point `current` at its commit. True when this process has not served it yet.

        Blocking (subprocess, file lock); the server calls it in a thread. Processes sharing the work
        directory (`--workers N`) take turns: the first to see a new commit checks it out, every one
        of them reports it once.
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        with (self.workdir / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            sha = self._fetch()
            if sha != self.commit:
                self._check_out(sha)
        changed, self._seen = sha != self._seen, sha
        return changed

    def _fetch(self) -> str:
        repo = self.workdir / "repo"
        if not (repo / ".git").exists():
            repo.mkdir(parents=True, exist_ok=True)
            self._git("init", "-q", str(repo))
        self._git("fetch", "-q", "--depth", "1", self.spec.url, self.spec.ref, repo=repo)
        return self._git("rev-parse", "FETCH_HEAD^{commit}", repo=repo)

    def _check_out(self, sha: str) -> None:
        repo = self.workdir / "repo"
        tree = self.workdir / "checkouts" / sha
        if not tree.exists():
            staging = tree.with_name(f".{sha}.tmp")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            self._git("--work-tree", str(staging), "checkout", "-q", "-f", sha, "--", ".", repo=repo)
            staging.rename(tree)
        target = tree / self.spec.subdir if self.spec.subdir else tree
        link = self.workdir / ".current.tmp"
        link.unlink(missing_ok=True)
        link.symlink_to(target, target_is_directory=True)
        link.replace(self.config_dir)
        self._prune(keep=sha)
        _LOG.info("config commit %s fetched from %s@%s", sha[:12], self.spec.safe_url, self.spec.ref)

    def _prune(self, *, keep: str) -> None:
        checkouts = self.workdir / "checkouts"
        trees = sorted(
            (p for p in checkouts.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
        )
        for old in trees[:-_KEEP_CHECKOUTS]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)

    async def run(self, reload: Reload) -> None:
        """Poll every `interval_s` until `stop()`; a failed fetch is logged and retried next time."""
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(self.interval_s):
                    await self._stop.wait()
                return
            except TimeoutError:
                pass
            try:
                changed = await asyncio.to_thread(self.sync)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                _LOG.warning("config pull failed: %s", exc)
                continue
            if changed:
                await reload("git")

    def stop(self) -> None:
        """End `run` at its next wake-up."""
        self._stop.set()
