"""`create_app`: the composition root. Everything the server needs is built here and passed down."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar

from compiler.specs import CompiledGateway
from gateway.app.reload import CompileOutcome, DirCompiler, Reloader
from gateway.http import EXCEPTION_HANDLERS, HttpServices, build_route_handlers
from gateway.providers.transport import TransportPool
from gateway.runtime import (
    BreakerBoard,
    Components,
    Executor,
    GatewayHolder,
    HeaderCompiler,
    RouteSelector,
    Serving,
    link_gateway,
)

__all__ = ["app_from_env", "create_app", "default_compilers"]


def default_compilers() -> tuple[DirCompiler, HeaderCompiler]:
    """The real compiler's entry points (imported here, at the composition root)."""
    from compiler import compile_header_config, compile_paths

    def compile_dir(path: Path) -> CompileOutcome:
        return compile_paths([path])

    return compile_dir, compile_header_config


def create_app(
    compiled: CompiledGateway,
    *,
    config_dir: Path | None = None,
    compile_dir: DirCompiler | None = None,
    compile_header: HeaderCompiler | None = None,
    components: Components | None = None,
    admin_token: str | None = None,
    watch: bool = True,
    debounce_ms: int = 300,
    env: Mapping[str, str] | None = None,
) -> Litestar:
    """Build the gateway app from a compiled config; `config_dir` + `compile_dir` enable hot reload."""
    env = os.environ if env is None else env
    pool = TransportPool()
    breakers = BreakerBoard()

    def link(gateway: CompiledGateway) -> Serving:
        runtime = link_gateway(gateway, pool=pool, breakers=breakers, env=env)
        return Serving(gateway=runtime, selector=RouteSelector(runtime, compile_header, env=env))

    holder = GatewayHolder(link(compiled))
    reloader = None
    if config_dir is not None and compile_dir is not None:
        reloader = Reloader(holder, config_dir, compile_dir, link, debounce_ms=debounce_ms)
    services = HttpServices(
        holder=holder,
        executor=Executor(components),
        admin_token=admin_token if admin_token is not None else env.get("GW_ADMIN_TOKEN") or None,
        reload=(lambda: reloader.reload("admin")) if reloader is not None else None,
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        del app
        if reloader is not None:
            reloader.start(watch=watch)
        try:
            yield
        finally:
            if reloader is not None:
                await reloader.stop()
            await pool.aclose()

    return Litestar(
        route_handlers=build_route_handlers(services),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        openapi_config=None,
        request_max_body_size=None,
        logging_config=None,
        debug=False,
    )


def app_from_env() -> Litestar:
    """Factory for server workers: compile `GW_CONFIG_DIR` (default `configs`) and build the app."""
    config_dir = Path(os.environ.get("GW_CONFIG_DIR", "configs"))
    compile_dir, compile_header = default_compilers()
    result = compile_dir(config_dir)
    if result.gateway is None:
        raise SystemExit(f"gw: config in {config_dir} did not compile; run `gw validate {config_dir}`")
    return create_app(
        result.gateway,
        config_dir=config_dir,
        compile_dir=compile_dir,
        compile_header=compile_header,
        watch=os.environ.get("GW_WATCH", "1") != "0",
    )
