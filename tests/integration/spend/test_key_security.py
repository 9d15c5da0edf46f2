"""Virtual keys end to end on `gw serve` (a subprocess, logs captured at debug level).

Revoked, expired, rotated-away, unknown and malformed keys get an OpenAI-shaped 401 that says
which; the admin API guards itself; an unmigrated database stops the server with the fix; and no gw
secret or provider secret appears in any log line or error body.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import openai
import pytest
import sqlalchemy as sa

from gateway.storage.database import make_sync_engine
from tests.fakes.openai_upstream import FakeOpenAI, Reply
from tests.integration.spend.gateway import ADMIN, PROVIDER_SECRET, write_config
from tests.services import free_port, wait_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTION = [{"role": "user", "content": "is this key still good?"}]


@dataclass
class Served:
    """A running `gw serve` and everything secret the test handed it or got from it."""

    url: str
    database_url: str
    secrets: list[str] = field(default_factory=lambda: [PROVIDER_SECRET])
    bodies: list[str] = field(default_factory=list)
    """Every error body the server sent."""

    def admin(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        """Call an admin endpoint with the admin token."""
        headers = {"authorization": f"Bearer {ADMIN}"}
        response = httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]
        if response.status_code >= 400:
            self.bodies.append(response.text)
        return response

    def create_key(self, **attrs: object) -> tuple[str, str]:
        """Create a key through the admin API; returns (key id, secret)."""
        response = self.admin("POST", "/admin/keys", json={"name": "sec", **attrs})
        assert response.status_code == 201, response.text
        body = response.json()
        self.secrets.append(body["secret"])
        return body["key"]["id"], body["secret"]

    def chat(self, secret: str) -> openai.APIStatusError | None:
        """One chat call with the SDK; the error it raised (its body kept for the scan), or None."""
        client = openai.OpenAI(
            base_url=self.url + "/v1",
            api_key=secret,
            max_retries=0,
            default_headers={"x-portkey-config": "chat"},
        )
        try:
            client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]
        except openai.APIStatusError as exc:
            self.bodies.append(exc.response.text)
            return exc
        finally:
            client.close()
        return None


def _gw(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gateway.cli.main", *args], env=env, **kwargs)  # type: ignore[call-overload, no-any-return]


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GW_")}
    return env | {
        "GW_DATABASE_URL": database_url,
        "GW_ADMIN_TOKEN": ADMIN,
        "GW_REQUIRE_KEYS": "1",
        "GW_SPEND_PROVIDER_KEY": PROVIDER_SECRET,
        "GW_USAGE_SPOOL": str(tmp_path / "spool.jsonl"),
        "GW_SEMANTIC_CACHE_URI": str(tmp_path / "semantic"),
    }


@pytest.fixture
def served(sqlite_url: str, upstream: FakeOpenAI, tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    """`gw serve --log-level debug` on a migrated SQLite database; yields it and its log file."""
    config_dir = write_config(tmp_path / "configs", upstream.url)
    port = free_port()
    log_path = tmp_path / "gw.log"
    with log_path.open("wb") as log:
        args = ["serve", "--config-dir", str(config_dir), "--port", str(port), "--log-level", "debug"]
        proc = _gw(args, _env(sqlite_url, tmp_path), stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_port(port, timeout=30)
            yield Served(f"http://127.0.0.1:{port}", sqlite_url), log_path
        finally:
            proc.terminate()
            proc.wait(30)


def _error(exc: openai.APIStatusError | None, status: int, code: str | None) -> str:
    assert exc is not None
    assert exc.status_code == status
    body = exc.response.json()["error"]
    assert set(body) >= {"message", "type", "param", "code"}
    assert body["type"] == "authentication_error"
    assert body["code"] == code
    return str(body["message"])


def _expire(database_url: str, key_id: str) -> None:
    """Move a key's expiry into the past (as if its lifetime had run out)."""
    engine = make_sync_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE virtual_keys SET expires_at = :t WHERE id = :k"),
                {"t": datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1), "k": key_id},
            )
    finally:
        engine.dispose()


def test_bad_keys_get_clear_401s_and_no_secret_reaches_a_log_or_error_body(
    served: tuple[Served, Path], upstream: FakeOpenAI
) -> None:
    gw, log_path = served
    good_id, good = gw.create_key()
    revoked_id, revoked = gw.create_key()
    expired_id, expired = gw.create_key()
    assert gw.chat(good) is None
    assert gw.chat(revoked) is None  # verified (and cached) before it is revoked
    assert gw.admin("POST", f"/admin/keys/{revoked_id}/revoke").json()["state"] == "revoked"
    assert "revoked" in _error(gw.chat(revoked), 401, "revoked_api_key")
    _expire(gw.database_url, expired_id)
    assert "expired" in _error(gw.chat(expired), 401, "expired_api_key")
    unknown = "gw-" + secrets.token_urlsafe(32)
    gw.secrets.append(unknown)
    assert "no such key" in _error(gw.chat(unknown), 401, "invalid_api_key")
    assert "gw keys start with" in _error(gw.chat("gw-short"), 401, "invalid_api_key")
    # No gw key at all (as OpenAI for a missing key: no code).
    assert "missing gw key" in _error(gw.chat("sk-not-a-gw-key"), 401, None)
    rotated = gw.admin("POST", f"/admin/keys/{good_id}/rotate").json()
    gw.secrets.append(rotated["secret"])
    assert "no such key" in _error(gw.chat(good), 401, "invalid_api_key")
    assert gw.chat(rotated["secret"]) is None
    upstream.script(Reply(status=401))  # the provider refuses gw's credential
    assert gw.chat(rotated["secret"]) is not None
    _admin_guards(gw)
    shown = gw.admin("GET", f"/admin/keys/{good_id}").json()
    assert shown["prefix"] == rotated["secret"][:11]
    listed = gw.admin("GET", "/admin/keys", params={"all": "true"})
    assert {expired_id, revoked_id, good_id} <= {k["id"] for k in listed.json()["data"]}
    for secret in gw.secrets:
        assert secret not in listed.text
    _scan(gw, log_path)
    assert f'"key_id":"{good_id}"' in log_path.read_text()  # the request log names the key, not its secret


def _admin_guards(gw: Served) -> None:
    no_token = httpx.post(gw.url + "/admin/keys", json={"name": "x"}, timeout=10)
    assert no_token.status_code == 401
    assert no_token.json()["error"]["type"] == "authentication_error"
    typo = gw.admin("POST", "/admin/keys", json={"name": "x", "budget_usdd": 5})
    assert typo.status_code == 400
    assert typo.json()["error"]["param"] == "budget_usdd"
    wrong_type = gw.admin("POST", "/admin/keys", json={"name": "x", "requests_per_minute": "many"})
    assert (wrong_type.status_code, wrong_type.json()["error"]["param"]) == (400, "requests_per_minute")
    assert gw.admin("POST", "/admin/keys", content=b"{nope").status_code == 400
    missing = gw.admin("GET", "/admin/keys/key_does_not_exist")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found_error"
    bad_group = gw.admin("GET", "/admin/usage", params={"group_by": "colour"})
    assert (bad_group.status_code, bad_group.json()["error"]["param"]) == (400, "group_by")


def _scan(gw: Served, log_path: Path) -> None:
    """The server's log so far and every error body, for every secret of the test."""
    log = log_path.read_text(errors="replace")
    assert '"request"' in log or "request" in log  # the server did log the traffic
    for secret in gw.secrets:
        assert secret not in log
        assert secret[:20] not in log
        for body in gw.bodies:
            assert secret not in body


def test_gw_serve_refuses_an_unmigrated_database_and_says_gw_db_upgrade(
    upstream: FakeOpenAI, tmp_path: Path
) -> None:
    config_dir = write_config(tmp_path / "configs", upstream.url)
    env = _env(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    args = ["serve", "--config-dir", str(config_dir), "--port", str(free_port())]
    proc = _gw(args, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    message = err.decode()
    assert "has no gw schema" in message
    assert "run `gw db upgrade`" in message
    assert "Traceback" not in message + out.decode()
