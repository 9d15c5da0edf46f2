"""Hot reload: compile aside, link, swap atomically; an invalid config is refused and logged.

Triggers: file changes under the config directory (watchfiles, debounced), `POST /admin/reload`
and SIGHUP. Reloads are serialised; a reload that compiles to the same content hash changes nothing.
In-flight requests keep the `Serving` they started with.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from compiler.specs import CompiledGateway
from gateway.runtime import GatewayHolder, LinkError, Serving

__all__ = ["CompileOutcome", "DirCompiler", "Reloader"]

_LOG = logging.getLogger("gw.reload")


class CompileOutcome(Protocol):
    """What `compiler.compile_paths` returns."""

    @property
    def gateway(self) -> CompiledGateway | None: ...
    @property
    def diagnostics(self) -> Sequence[Any]: ...  # Any: compiler.Diagnostic


DirCompiler = Callable[[Path], CompileOutcome]


def _diagnostic_text(diag: Any) -> str:  # Any: compiler.Diagnostic, duck-typed
    where = f"{getattr(diag, 'file', '')}:{getattr(diag, 'line', 0)}:{getattr(diag, 'col', 0)}"
    kind = f"{getattr(diag, 'severity', 'error')}[{getattr(diag, 'code', '')}]"
    return f"{where}: {kind}: {getattr(diag, 'message', '')}"


class Reloader:
    """Recompiles the config directory and swaps the served gateway when it changed and is valid."""

    def __init__(
        self,
        holder: GatewayHolder,
        config_dir: Path,
        compile_dir: DirCompiler,
        link: Callable[[CompiledGateway], Serving],
        *,
        debounce_ms: int = 300,
        on_result: Callable[[str, str, bool, list[str]], None] | None = None,
    ) -> None:
        self.holder = holder
        self._on_result = on_result
        """Called with (old hash, new hash, ok, errors) after each reload that was not a no-op."""
        self.config_dir = config_dir
        self._compile = compile_dir
        self._link = link
        self._debounce_ms = debounce_ms
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()

    async def reload(self, reason: str = "request") -> dict[str, Any]:  # Any: JSON report
        """Compile, link and swap; return a report (`ok`, `changed`, `config_hash` or the errors)."""
        async with self._lock:
            result = await asyncio.to_thread(self._compile, self.config_dir)
            errors = [d for d in result.diagnostics if getattr(d, "severity", "error") == "error"]
            if result.gateway is None or errors:
                lines = [_diagnostic_text(d) for d in errors] or ["config did not compile"]
                _LOG.error("reload refused (%s): %d error(s)\n%s", reason, len(lines), "\n".join(lines))
                self._report(self.holder.current.gateway.config_hash, "", False, lines)
                return {"ok": False, "reason": reason, "errors": lines}
            current = self.holder.current.gateway.config_hash
            if result.gateway.content_hash == current:
                return {"ok": True, "changed": False, "config_hash": current}
            try:
                serving = self._link(result.gateway)
            except LinkError as exc:
                _LOG.error("reload refused (%s): %s", reason, "; ".join(exc.problems))
                self._report(current, result.gateway.content_hash, False, exc.problems)
                return {"ok": False, "reason": reason, "errors": exc.problems}
            self.holder.swap(serving)
            self._report(current, serving.gateway.config_hash, True, [])
            _LOG.info("config reloaded (%s): %s -> %s", reason, current, serving.gateway.config_hash)
            return {"ok": True, "changed": True, "config_hash": serving.gateway.config_hash}

    def _report(self, old: str, new: str, ok: bool, errors: list[str]) -> None:
        if self._on_result is not None:
            self._on_result(old, new, ok, errors)

    async def watch(self) -> None:
        """Reload on every debounced batch of file changes until stopped."""
        import watchfiles  # local: only the server needs it

        async for _changes in watchfiles.awatch(
            self.config_dir, debounce=self._debounce_ms, step=50, stop_event=self._stop, recursive=True
        ):
            try:
                await self.reload("watch")
            except Exception:  # a reload bug must not kill the watcher
                _LOG.exception("reload failed")

    def start(self, *, watch: bool) -> None:
        """Start the watcher task and the SIGHUP handler (main thread only)."""
        loop = asyncio.get_running_loop()
        if watch:
            self._spawn(self.watch())
        if threading.current_thread() is threading.main_thread():
            loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload("SIGHUP")))

    def _spawn(self, coro: Any) -> None:  # Any: a coroutine
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop watching and wait for running reloads."""
        self._stop.set()
        if threading.current_thread() is threading.main_thread():
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
