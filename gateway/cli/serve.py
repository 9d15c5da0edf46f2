"""`gw serve`: compile the config directory, then serve the OpenAI-compatible API.

Cheap to import: the server stack is imported only when the command runs. The config is compiled
once up front so that a broken config fails fast with its diagnostics (exit 1) instead of starting.
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


def run_serve(args: argparse.Namespace) -> int:
    """Validate the config, then run the ASGI server until interrupted."""
    config_dir = Path(args.config_dir)
    if not config_dir.is_dir():
        sys.stderr.write(f"gw: config directory `{config_dir}` does not exist\n")
        return 2
    if not _check_config(config_dir):
        return _EXIT_CONFIG
    os.environ["GW_CONFIG_DIR"] = str(config_dir.resolve())
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
    import uvicorn

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
    )
    return 0
