"""One real gw server wired like `gw serve` (storage, limits, cache from the environment), in a thread.

`SpendGateway` writes a config directory (a priced `openai` provider pointing at a fake upstream,
routes `chat` and `cached`), compiles it with the real compiler, builds the components with
`gateway.app.wiring.Wiring` from an explicit environment and serves the app with uvicorn on loopback.
Keys are created through `/admin/keys`; the ledger is read back with plain SQL.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import sqlalchemy as sa

from gateway.storage.database import make_sync_engine
from tests.integration.gateway.server import compiled_from, wired_server

__all__ = ["ADMIN", "PROVIDER_SECRET", "LogCapture", "SpendGateway", "db_upgrade", "write_config"]

ADMIN = "admin-token-for-spend-tests"
PROVIDER_SECRET = "sk-provider-secret-0123456789abcdef"
"""The upstream API key gw holds; it must never appear in a log line or an error body."""

PRICING = """kind: pricing
id: test_prices
provider_type: openai
models:
  - {model: gpt-4o, input: 2.5, cached_input: 1.25, output: 10.0}
  - {model: o3-mini, input: 1.1, cached_input: 0.55, output: 4.4}
  - {model: flat, input: 0, output: 1000.0}
"""
"""`flat`: input is free and each output token costs 0.001 USD, so 10 tokens cost exactly 0.01 USD."""


def write_config(directory: Path, upstream_url: str) -> Path:
    """Write the manifests the spend tests serve; returns the directory.

    Keys tagged `capped` share the `capped_team` budget: 0.50 USD a day."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "providers.yaml").write_text(
        f"kind: provider\nid: up\ntype: openai\nbase_url: {upstream_url}\n"
        "api_key: {env: GW_SPEND_PROVIDER_KEY}\n"
    )
    (directory / "pricing.yaml").write_text(PRICING)
    (directory / "routes.yaml").write_text(
        "kind: route\nid: chat\nprovider: up\n"
        "---\nkind: route\nid: cached\nprovider: up\ncache:\n  mode: simple\n  max_age: 600\n"
        "---\nkind: budget\nid: capped_team\nscope: {kind: key_tag, value: capped}\nperiod: daily\n"
        "limit_usd: 0.5\naction: deny\n"
    )
    return directory


def db_upgrade(url: str) -> None:
    """Migrate a database the way operators do: `gw db upgrade`."""
    env = {"GW_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


class LogCapture(logging.Handler):
    """Keeps every log record the server emits, rendered with its extra fields."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Render the message and every attribute of the record (extras included)."""
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")

    @contextmanager
    def installed(self) -> Iterator[LogCapture]:
        """Attach to the root logger at DEBUG for the duration."""
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(self)
        root.setLevel(logging.DEBUG)
        try:
            yield self
        finally:
            root.removeHandler(self)
            root.setLevel(old_level)


class SpendGateway:
    """A real gw server with storage (SQLite or PostgreSQL) and limits (in-process or Valkey)."""

    def __init__(
        self, config_dir: Path, database_url: str, spool: Path, *, valkey_url: str | None = None
    ) -> None:
        env = {
            "GW_DATABASE_URL": database_url,
            "GW_USAGE_SPOOL": str(spool),
            "GW_SPEND_PROVIDER_KEY": PROVIDER_SECRET,
            "GW_SEMANTIC_CACHE_URI": str(spool.parent / "semantic"),
        }
        if valkey_url:
            env["GW_VALKEY_URL"] = valkey_url
        self.database_url = database_url
        self.server, self.wiring = wired_server(
            compiled_from(config_dir), env, config_root=config_dir, admin_token=ADMIN
        )
        self._engine = make_sync_engine(database_url)
        self._clients: list[openai.OpenAI] = []

    def start(self) -> SpendGateway:
        """Serve until `stop`."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop the server (flushing the ledger), close the clients and the read-back engine."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.server.stop()
        self._engine.dispose()

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients (with /v1)."""
        return self.server.url

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:  # Any: httpx options
        """Call an admin endpoint with the admin token."""
        headers = {"authorization": f"Bearer {ADMIN}"}
        return httpx.request(method, self.server.base + path, headers=headers, timeout=30, **kwargs)

    def create_key(self, **attrs: Any) -> tuple[str, str]:  # Any: NewKey JSON
        """Create a key through `/admin/keys`; returns (key id, secret)."""
        response = self.admin("POST", "/admin/keys", json={"name": "test", **attrs})
        assert response.status_code == 201, response.text
        body = response.json()
        return body["key"]["id"], body["secret"]

    def client(self, secret: str, **headers: str) -> openai.OpenAI:
        """A sync OpenAI SDK client presenting `secret` (SDK retries off; closed by `stop`)."""
        client = openai.OpenAI(base_url=self.url, api_key=secret, max_retries=0, default_headers=headers)
        self._clients.append(client)
        return client

    def async_client(self, secret: str, *, connections: int = 256, **headers: str) -> openai.AsyncOpenAI:
        """An async OpenAI SDK client with room for many concurrent requests (SDK retries off)."""
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return openai.AsyncOpenAI(
            base_url=self.url,
            api_key=secret,
            max_retries=0,
            default_headers=headers,
            http_client=httpx.AsyncClient(limits=limits, timeout=60),
        )

    def ledger(self, where: str = "", **params: Any) -> list[dict[str, Any]]:  # Any: row values
        """Ledger rows as dicts (plain SQL on the database)."""
        sql = "SELECT * FROM usage_ledger" + (f" WHERE {where}" if where else "")
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(sa.text(sql), params).mappings()]

    def wait_ledger(self, count: int, where: str = "", **params: Any) -> list[dict[str, Any]]:
        """Wait until the ledger holds `count` matching rows (written off the request path)."""
        deadline = time.monotonic() + 60
        rows = self.ledger(where, **params)
        while len(rows) < count and time.monotonic() < deadline:
            time.sleep(0.1)
            rows = self.ledger(where, **params)
        return rows
