"""The composition root: builds the litestar app from a compiled gateway, with hot reload."""

from __future__ import annotations

from gateway.app.factory import app_from_env, create_app
from gateway.app.reload import Reloader

__all__ = ["Reloader", "app_from_env", "create_app"]
