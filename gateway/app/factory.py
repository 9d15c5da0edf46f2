"""`create_app`: the composition root. Everything the server needs is built here and passed down."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar

from compiler.specs import CompiledGateway
from gateway.app.distribution import GitConfigSource, parse_git_spec
from gateway.app.reload import CompileOutcome, DirCompiler, Reloader
from gateway.app.wiring import Wiring
from gateway.http import EXCEPTION_HANDLERS, HttpServices, build_route_handlers
from gateway.http.admin_keys import StorageGetter
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
from gateway.telemetry import Telemetry

__all__ = ["app_from_env", "create_app", "default_compilers"]


def default_compilers() -> tuple[DirCompiler, HeaderCompiler]:
    """The real compiler's entry points (imported here, at the composition root)."""
    from compiler import compile_header_config, compile_paths

    def compile_dir(path: Path) -> CompileOutcome:
        return compile_paths([path])

    return compile_dir, compile_header_config


ComponentFactory = Callable[[CompiledGateway], Components]
"""Builds the components for one compiled config (guardrails and limits depend on it)."""
Hook = Callable[[], Awaitable[None]]


class _Linker:
    """Links compiled configs into Servings sharing one transport pool, breaker board and telemetry."""

    def __init__(
        self,
        compile_header: HeaderCompiler | None,
        env: Mapping[str, str],
        components: Components | ComponentFactory,
    ) -> None:
        self.pool = TransportPool()
        self.breakers = BreakerBoard()
        self._compile_header = compile_header
        self._env = env
        self._components = components

    def __call__(self, gateway: CompiledGateway) -> Serving:
        components = (
            self._components if isinstance(self._components, Components) else self._components(gateway)
        )
        runtime = link_gateway(gateway, pool=self.pool, breakers=self.breakers, env=self._env)
        telemetry = components.telemetry
        if telemetry is not None:
            telemetry.bind(gateway)
            for provider in runtime.providers.values():
                if provider.api_key:
                    telemetry.redactor.add_secret(provider.api_key)
        selector = RouteSelector(
            runtime, self._compile_header, env=self._env, guardrails=components.guardrails
        )
        return Serving(gateway=runtime, selector=selector, executor=Executor(components))


def _lifespan(
    reloader: Reloader | None,
    linker: _Linker,
    holder: GatewayHolder,
    hooks: tuple[Sequence[Hook], Sequence[Hook]],
    *,
    watch: bool,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    startup, shutdown = hooks

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        del app
        for hook in startup:
            await hook()
        if startup:  # components opened by the hooks (storage, journals) reach the executor
            holder.swap(linker(holder.current.gateway.compiled))
        if reloader is not None:
            reloader.start(watch=watch)
        try:
            yield
        finally:
            if reloader is not None:
                await reloader.stop()
            for hook in shutdown:
                await hook()
            await linker.pool.aclose()

    return lifespan


def create_app(
    compiled: CompiledGateway,
    *,
    config_dir: Path | None = None,
    compile_dir: DirCompiler | None = None,
    compile_header: HeaderCompiler | None = None,
    components: Components | ComponentFactory | None = None,
    admin_token: str | None = None,
    watch: bool = True,
    debounce_ms: int = 300,
    env: Mapping[str, str] | None = None,
    telemetry: Telemetry | None = None,
    startup: Sequence[Hook] = (),
    shutdown: Sequence[Hook] = (),
    readiness: Callable[[], Awaitable[dict[str, bool]]] | None = None,
    fallbacks: Callable[[], Awaitable[dict[str, dict[str, Any]]]] | None = None,
    storage: StorageGetter | None = None,
    config_source: GitConfigSource | None = None,
) -> Litestar:
    """Build the gateway app from a compiled config; `config_dir` + `compile_dir` enable hot reload.

    `components` is one `Components` for every config version, or a factory called for each; `startup`
    hooks run before the first request (then the config is linked again), `shutdown` hooks at exit.
    `config_source` (pull mode, with `config_dir` its checkout) triggers reloads on new commits.
    `storage` returns the storage handles the startup hooks opened (for `/admin/keys`, `/admin/usage`).
    """
    env = os.environ if env is None else env
    if components is None or isinstance(components, Components):
        components = components or Components()
        components.telemetry = telemetry or components.telemetry
        telemetry = components.telemetry
    linker = _Linker(compile_header, env, components)
    holder = GatewayHolder(linker(compiled))
    reloader = None
    if config_dir is not None and compile_dir is not None:
        on_result = _reload_reporter(telemetry) if telemetry is not None else None
        reloader = Reloader(
            holder, config_dir, compile_dir, linker, debounce_ms=debounce_ms, on_result=on_result
        )
        if config_source is not None:
            startup, shutdown = _pull_hooks(config_source, reloader, startup, shutdown)
    if telemetry is not None:
        breakers = linker.breakers
        telemetry.watch_circuits(lambda: _circuits(breakers))
    services = HttpServices(
        holder=holder,
        telemetry=telemetry,
        readiness=readiness,
        fallbacks=fallbacks,
        storage=storage,
        admin_token=admin_token if admin_token is not None else env.get("GW_ADMIN_TOKEN") or None,
        reload=(lambda: reloader.reload("admin")) if reloader is not None else None,
    )
    return Litestar(
        route_handlers=build_route_handlers(services),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[_lifespan(reloader, linker, holder, (startup, shutdown), watch=watch)],
        openapi_config=None,
        request_max_body_size=None,
        logging_config=None,
        debug=False,
    )


def _pull_hooks(
    source: GitConfigSource, reloader: Reloader, startup: Sequence[Hook], shutdown: Sequence[Hook]
) -> tuple[Sequence[Hook], Sequence[Hook]]:
    tasks: list[asyncio.Task[None]] = []

    async def start_pulling() -> None:
        tasks.append(asyncio.get_running_loop().create_task(source.run(reloader.reload)))

    async def stop_pulling() -> None:
        source.stop()
        await asyncio.gather(*tasks, return_exceptions=True)

    return (*startup, start_pulling), (stop_pulling, *shutdown)


def _reload_reporter(telemetry: Telemetry) -> Callable[[str, str, bool, list[str]], None]:
    def report(old: str, new: str, ok: bool, errors: list[str]) -> None:
        telemetry.config_reloaded(old_hash=old, new_hash=new, ok=ok, diagnostics=errors)

    return report


def _circuits(breakers: BreakerBoard) -> list[tuple[str, str, str]]:
    out = []
    for key, state in breakers.snapshot().items():
        route, path, _provider = key.split(":", 2)
        out.append((route, path, str(state["state"])))
    return out


def app_from_env() -> Litestar:
    """Factory for server workers: compile `GW_CONFIG_DIR` (default `configs`) and build the app."""
    config_dir = Path(os.environ.get("GW_CONFIG_DIR", "configs"))
    compile_dir, compile_header = default_compilers()
    result = compile_dir(config_dir)
    if result.gateway is None:
        raise SystemExit(f"gw: config in {config_dir} did not compile; run `gw validate {config_dir}`")
    # A long-lived server: move what startup allocated out of the collector's way, and collect the
    # young generation less often (fewer pauses in the tail latency under load).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    source = None
    if os.environ.get("GW_CONFIG_GIT"):  # pull mode: `gw serve --config-git` made the first checkout
        source = GitConfigSource(
            parse_git_spec(os.environ["GW_CONFIG_GIT"], os.environ.get("GW_CONFIG_GIT_SUBDIR", "")),
            Path(os.environ["GW_CONFIG_GIT_DIR"]),
            interval_s=float(os.environ.get("GW_CONFIG_GIT_INTERVAL", "10")),
        )
    telemetry = Telemetry.from_env(os.environ)
    wiring = Wiring(os.environ, config_root=config_dir, telemetry=telemetry)
    return create_app(
        result.gateway,
        config_dir=config_dir,
        compile_dir=compile_dir,
        compile_header=compile_header,
        components=wiring.for_config,
        telemetry=telemetry,
        watch=os.environ.get("GW_WATCH", "1") != "0",
        startup=[wiring.startup],
        shutdown=[wiring.shutdown],
        readiness=wiring.readiness,
        fallbacks=wiring.fallbacks,
        storage=wiring.storage,
        config_source=source,
    )
