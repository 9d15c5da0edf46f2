"""`/admin/keys` and `/admin/usage` on the real server: the same operations as `gw keys`."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from compiler import compile_paths
from gateway.app import create_app
from tests.fakes.openai_upstream import FakeOpenAI
from tests.integration.gateway.server import GatewayServer
from tests.integration.spend.conftest import StartFn
from tests.integration.spend.gateway import write_config

pytestmark = [pytest.mark.integration]


def test_created_key_is_shown_once_and_listed_by_prefix_only(start_gateway: StartFn, sqlite_url: str) -> None:
    gateway = start_gateway(sqlite_url)
    created = gateway.admin(
        "POST",
        "/admin/keys",
        json={
            "name": "team-a",
            "tags": ["prod"],
            "metadata": {"cost_center": "42"},
            "allowed_routes": ["chat"],
            "requests_per_minute": 600,
            "budget_usd": 50,
            "budget_period": "monthly",
            "expires_at": "2099-01-01T00:00:00Z",
        },
    )
    assert created.status_code == 201
    body = created.json()
    secret, key = body["secret"], body["key"]
    assert secret.startswith("gw-") and key["prefix"] == secret[:11]
    assert (key["state"], key["tags"], key["budget_usd"]) == ("active", ["prod"], 50.0)
    shown = gateway.admin("GET", f"/admin/keys/{key['id']}")
    assert shown.json() == key
    listed = gateway.admin("GET", "/admin/keys")
    assert [k["id"] for k in listed.json()["data"]] == [key["id"]]
    assert secret not in shown.text + listed.text


def test_revoked_keys_leave_the_default_listing_and_cannot_be_rotated(
    start_gateway: StartFn, sqlite_url: str
) -> None:
    gateway = start_gateway(sqlite_url)
    key_id, _ = gateway.create_key()
    first = gateway.admin("DELETE", f"/admin/keys/{key_id}").json()
    again = gateway.admin("POST", f"/admin/keys/{key_id}/revoke").json()
    assert first["state"] == again["state"] == "revoked"
    assert first["revoked_at"] == again["revoked_at"]  # revoking twice keeps the first time
    assert gateway.admin("GET", "/admin/keys").json()["data"] == []
    assert [k["id"] for k in gateway.admin("GET", "/admin/keys?all=true").json()["data"]] == [key_id]
    rotate = gateway.admin("POST", f"/admin/keys/{key_id}/rotate")
    assert rotate.status_code == 400
    assert "revoked" in rotate.json()["error"]["message"]


def test_bad_key_attributes_and_usage_parameters_are_400s_naming_the_field(
    start_gateway: StartFn, sqlite_url: str
) -> None:
    gateway = start_gateway(sqlite_url)
    past = gateway.admin("POST", "/admin/keys", json={"name": "x", "expires_at": "2001-01-01T00:00:00Z"})
    assert (past.status_code, past.json()["error"]["param"]) == (400, "expires_at")
    for body, param in (({}, "name"), ([1], None), ({"name": "x", "tags": [1]}, "tags[0]")):
        bad = gateway.admin("POST", "/admin/keys", json=body)
        assert (bad.status_code, bad.json()["error"]["param"]) == (400, param)
    unknown = gateway.admin("GET", "/admin/usage", params={"colour": "red"})
    assert (unknown.status_code, unknown.json()["error"]["param"]) == (400, "colour")
    since = gateway.admin("GET", "/admin/usage", params={"since": "last tuesday"})
    assert since.status_code == 400


def test_admin_keys_answer_404_without_storage(upstream: FakeOpenAI, tmp_path: Path) -> None:
    result = compile_paths([write_config(tmp_path / "configs", upstream.url)])
    assert result.gateway is not None
    server = GatewayServer(create_app(result.gateway, admin_token="t", env={})).start()
    try:
        for path in ("/admin/keys", "/admin/usage"):
            response = httpx.get(server.base + path, headers={"authorization": "Bearer t"})
            assert response.status_code == 404
            assert "GW_DATABASE_URL" in response.json()["error"]["message"]
    finally:
        server.stop()


def test_key_limited_to_a_route_and_a_model_gets_403_elsewhere(
    start_gateway: StartFn, sqlite_url: str
) -> None:
    gateway = start_gateway(sqlite_url)
    _, secret = gateway.create_key(allowed_routes=["chat"], allowed_models=["gpt-4o"])
    question = [{"role": "user", "content": "hi"}]
    assert gateway.client(secret, **{"x-portkey-config": "chat"}).chat.completions.create(
        model="gpt-4o",
        messages=question,  # type: ignore[arg-type]
    )
    for route, model, needle in (
        ("cached", "gpt-4o", "route `cached`"),
        ("chat", "o3-mini", "model `o3-mini`"),
    ):
        client = gateway.client(secret, **{"x-portkey-config": route})
        with pytest.raises(openai.PermissionDeniedError) as denied:
            client.chat.completions.create(model=model, messages=question)  # type: ignore[arg-type]
        error = denied.value.response.json()["error"]
        assert error["type"] == "permission_error"
        assert needle in error["message"]
