"""`gw serve`: compile the config directory, then serve the OpenAI-compatible API.

Cheap to import: the server stack is imported only when the command runs. The config is compiled
once up front so that a broken config fails fast with its diagnostics (exit 1) instead of starting.
`--config-git URL@REF` pulls the manifests from git instead (first checkout here, then polled by the
server: `gateway.app.distribution`). SIGTERM drains: no new connections, in-flight requests and
streams get up to `--drain-timeout` seconds, then the lifespan flushes the ledger and the process
exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["register", "run_serve"]

_EXIT_CONFIG = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw serve` to the `gw` parser."""
    parser = subparsers.add_parser("serve", help="serve the OpenAI-compatible gateway")
    parser.add_argument("--config-dir", default="configs", help="manifest directory (default: configs)")
    parser.add_argument("--host", default=os.environ.get("GW_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GW_PORT", "8787")))
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn", help="ASGI server")
    parser.add_argument("--no-watch", action="store_true", help="do not reload on file changes")
    parser.add_argument("--config-git", metavar="URL@REF", help="pull the manifests from a git ref")
    parser.add_argument("--config-git-subdir", default="", help="manifest directory inside the tree")
    parser.add_argument("--config-git-interval", type=float, default=10.0, help="poll interval (s)")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=float(os.environ.get("GW_DRAIN_TIMEOUT_S", "30")),
        help="seconds SIGTERM waits for in-flight requests and streams (default: 30)",
    )
    parser.add_argument("--log-level", default=os.environ.get("GW_LOG_LEVEL", "info"))
    parser.set_defaults(handler=run_serve)


def _check_config(config_dir: Path) -> bool:
    from compiler import compile_paths, format_diagnostics, summary_line

    result = compile_paths([config_dir])
    if result.diagnostics:
        sys.stderr.write(format_diagnostics(result.diagnostics, "text") + "\n")
    if result.gateway is None:
        sys.stderr.write(summary_line(result.diagnostics, compiled=False) + "\n")
        return False
    return True


def _pull_config(args: argparse.Namespace) -> Path | None:
    """First checkout of `--config-git`; the server polls from there (settings passed in the env)."""
    import subprocess
    import tempfile

    from gateway.app.distribution import GitConfigSource, parse_git_spec

    workdir = Path(os.environ.get("GW_CONFIG_GIT_DIR") or tempfile.mkdtemp(prefix="gw-config-"))
    source = GitConfigSource(parse_git_spec(args.config_git, args.config_git_subdir), workdir)
    try:
        source.sync()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:  # git failed or timed out
        sys.stderr.write(f"gw: cannot pull the config: {exc}\n")
        return None
    os.environ["GW_CONFIG_GIT"] = args.config_git
    os.environ["GW_CONFIG_GIT_SUBDIR"] = args.config_git_subdir
    os.environ["GW_CONFIG_GIT_DIR"] = str(workdir)
    os.environ["GW_CONFIG_GIT_INTERVAL"] = str(args.config_git_interval)
    args.no_watch = True  # the poller triggers reloads; the checkout never changes in place
    return source.config_dir


def _check_database() -> bool:
    """With `GW_DATABASE_URL` set, refuse to start on an unmigrated database, saying how to fix it
    (one line, before the server starts, rather than a startup traceback from every worker)."""
    if not os.environ.get("GW_DATABASE_URL"):
        return True
    from gateway.storage import DatabaseNotMigrated, check_migrated, database_url

    try:
        check_migrated(database_url(dict(os.environ)))
    except DatabaseNotMigrated as exc:
        sys.stderr.write(f"gw: error: {exc}\n")
        return False
    return True


def run_serve(args: argparse.Namespace) -> int:
    """Validate the config, then run the ASGI server until interrupted."""
    config_dir = Path(args.config_dir)
    if args.config_git:
        pulled = _pull_config(args)
        if pulled is None:
            return 2
        config_dir = pulled
    if not config_dir.is_dir():
        sys.stderr.write(f"gw: config directory `{config_dir}` does not exist\n")
        return 2
    if not _check_config(config_dir) or not _check_database():
        return _EXIT_CONFIG
    os.environ["GW_CONFIG_DIR"] = str(config_dir if args.config_git else config_dir.resolve())
    os.environ["GW_WATCH"] = "0" if args.no_watch else "1"
    from gateway.telemetry import configure_logging

    configure_logging(level=str(args.log_level).upper())
    target = "gateway.app.factory:app_from_env"
    if args.server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        Granian(
            target,
            address=args.host,
            port=args.port,
            interface=Interfaces.ASGI,
            workers=args.workers,
            factory=True,
        ).serve()
        return 0
    import signal

    import uvicorn

    # uvicorn drains on SIGTERM, then re-raises it under the handler it found: make that one a no-op
    # so a drained shutdown exits 0 (what orchestrators expect), not "killed by SIGTERM".
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run(
        target,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=args.drain_timeout,
    )
    return 0
