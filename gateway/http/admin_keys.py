"""The admin API over storage: virtual keys (`/admin/keys`) and the usage report (`/admin/usage`).

Same operations and numbers as `gw keys …` and `gw usage report` (both call `KeyService` and
`usage_report_for_query`). Guarded by the admin token like every `/admin/*` endpoint; answers 404
when storage is not configured (`GW_DATABASE_URL` unset). Secrets appear only in the bodies of
create and rotate, once; nothing here logs them.

    POST /admin/keys                       NewKey JSON → 201 {key, secret}
    GET  /admin/keys[?all=true]            {data: [KeyInfo]} (revoked/expired ones with all=true)
    GET  /admin/keys/{key_id}              KeyInfo
    POST /admin/keys/{key_id}/rotate       {key, secret}: the old secret stops working
    POST /admin/keys/{key_id}/revoke       KeyInfo (also DELETE /admin/keys/{key_id})
    GET  /admin/usage?key=&since=&until=&group_by=
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.handlers import BaseRouteHandler

from gateway.errors import NotFound, RequestError
from gateway.storage import NewKey, Storage
from gateway.storage.reports import usage_report_for_query

__all__ = ["StorageGetter", "admin_key_handlers", "decode_new_key"]

AnyRequest = Request[Any, Any, Any]  # Any: litestar's user/auth/state parameters are unused
StorageGetter = Callable[[], Storage | None]
"""Returns the live storage handles (opened at startup), or None when storage is off."""

_ENCODER = msgspec.json.Encoder()
_NEW_KEY = msgspec.json.Decoder(NewKey)
_MAX_BODY = 64 * 1024
_TRUE = frozenset({"1", "true", "yes"})


def _json(content: object, status: int = 200) -> Response[bytes]:
    return Response(content=_ENCODER.encode(content), status_code=status, media_type="application/json")


def decode_new_key(raw: bytes) -> NewKey:
    """Decode a POST /admin/keys body; a 400 naming the field on any bad or unknown value."""
    if not raw.strip():
        raise RequestError("the request body is empty: send a JSON object with at least `name`")
    if len(raw) > _MAX_BODY:
        raise RequestError(f"the request body is larger than {_MAX_BODY} bytes")
    try:
        return _NEW_KEY.decode(raw)
    except msgspec.ValidationError as exc:
        text = str(exc)
        # msgspec ends a message about a value with "- at `$.field`" and names an unknown or missing
        # field in backticks; a message about the whole body (not an object) names no field.
        param = text.rsplit("`$.", 1)[1].rstrip("`") if "`$." in text else _unknown_field(text)
        raise RequestError(f"invalid key attributes: {text}", param=param) from None
    except msgspec.DecodeError:
        raise RequestError("the request body is not valid JSON") from None


def _key_id(request: AnyRequest) -> str:
    return str(request.path_params["key_id"])


def _unknown_field(text: str) -> str | None:
    parts = text.split("`")
    named = text.startswith(("Object contains unknown field", "Object missing required field"))
    return parts[1] if named and len(parts) >= 3 else None


def admin_key_handlers(
    storage: StorageGetter | None, check_admin: Callable[[AnyRequest], None]
) -> list[BaseRouteHandler]:
    """The `/admin/keys` and `/admin/usage` handlers; `check_admin` enforces the admin token."""

    def live(request: AnyRequest) -> Storage:
        check_admin(request)
        handles = storage() if storage is not None else None
        if handles is None:
            raise NotFound("key management and usage reports need storage (set GW_DATABASE_URL)")
        return handles

    return [*_key_handlers(live), _usage_handler(live)]


Live = Callable[[AnyRequest], Storage]


def _key_handlers(live: Live) -> list[BaseRouteHandler]:
    @post("/admin/keys", status_code=201)
    async def create_key(request: AnyRequest) -> Response[bytes]:
        handles = live(request)
        created = await handles.keys.create(decode_new_key(await request.body()))
        return _json(created, status=201)

    @get("/admin/keys")
    async def list_keys(request: AnyRequest) -> Response[bytes]:
        handles = live(request)
        include = request.query_params.get("all", "").lower() in _TRUE
        return _json({"object": "list", "data": await handles.keys.list_keys(include_inactive=include)})

    @get("/admin/keys/{key_id:str}")
    async def show_key(request: AnyRequest) -> Response[bytes]:
        return _json(await live(request).keys.show(_key_id(request)))

    @post("/admin/keys/{key_id:str}/rotate", status_code=200)
    async def rotate_key(request: AnyRequest) -> Response[bytes]:
        handles, key_id = live(request), _key_id(request)
        created = await handles.keys.rotate(key_id)
        handles.keystore.forget(key_id)
        return _json(created)

    async def revoke(request: AnyRequest) -> Response[bytes]:
        handles, key_id = live(request), _key_id(request)
        info = await handles.keys.revoke(key_id)
        handles.keystore.forget(key_id)
        return _json(info)

    @post("/admin/keys/{key_id:str}/revoke", status_code=200)
    async def revoke_key(request: AnyRequest) -> Response[bytes]:
        return await revoke(request)

    @delete("/admin/keys/{key_id:str}", status_code=200)
    async def delete_key(request: AnyRequest) -> Response[bytes]:
        return await revoke(request)

    return [create_key, list_keys, show_key, rotate_key, revoke_key, delete_key]


def _usage_handler(live: Live) -> BaseRouteHandler:
    @get("/admin/usage")
    async def usage(request: AnyRequest) -> Response[bytes]:
        handles = live(request)
        query = {name: str(value) for name, value in request.query_params.items()}
        return _json(await usage_report_for_query(handles.engine, query))

    return usage
