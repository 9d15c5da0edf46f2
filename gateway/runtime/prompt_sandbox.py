"""The jinja2 sandbox prompts render in: no Python objects, no files, no environment, bounded work.

`ImmutableSandboxedEnvironment` already refuses private attributes (`__class__`, `mro`, …), functions'
internals and mutating methods; `StrictUndefined` turns a missing value into an error instead of an
empty string. On top of that:

- no globals (no `range`, `lipsum`, `cycler`, `namespace`) and no loader but the prompt's own
  partials, so a template sees its variables and nothing else;
- a render has a deadline and an output budget: attribute and item reads, calls, filters, `*`/`**`
  and iteration over variable lists check the clock, `*` refuses a result larger than the budget,
  filters' results and the output are measured as they are produced.

Variable values are passed as data: jinja2 inserts them as text and never parses them as templates.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jinja2 import DictLoader, StrictUndefined
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from compiler.passes.prompts_templates import template_environment

__all__ = ["PromptSandbox", "RenderLimitExceeded", "TickingList"]


class RenderLimitExceeded(TemplateError):
    """A render ran past its deadline or produced more text than allowed."""


class _Budget:
    """The current render's deadline and remaining output (one per thread: renders are synchronous)."""

    __slots__ = ("deadline", "max_chars")

    def __init__(self, deadline: float, max_chars: int) -> None:
        self.deadline = deadline
        self.max_chars = max_chars


class PromptSandbox(ImmutableSandboxedEnvironment):
    """A sandboxed jinja2 environment over one prompt's partials, with per-render limits."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, partials: Mapping[str, str]) -> None:
        base = template_environment()
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=base.trim_blocks,
            lstrip_blocks=base.lstrip_blocks,
            keep_trailing_newline=base.keep_trailing_newline,
            loader=DictLoader(dict(partials)),
        )
        self.globals.clear()
        self.filters = {name: self._bounded(f) for name, f in base.filters.items()}
        self._local = threading.local()

    # ------------------------------------------------------------------ budget

    def begin(self, timeout_s: float, max_chars: int) -> None:
        """Start a render on this thread with these limits."""
        self._local.budget = _Budget(time.monotonic() + timeout_s, max_chars)

    def tick(self) -> None:
        """Raise when the current render is past its deadline."""
        budget: _Budget | None = getattr(self._local, "budget", None)
        if budget is not None and time.monotonic() > budget.deadline:
            raise RenderLimitExceeded("rendering took too long")

    def spend(self, chars: int) -> None:
        """Count produced text against the output budget."""
        budget: _Budget | None = getattr(self._local, "budget", None)
        if budget is None:
            return
        budget.max_chars -= chars
        if budget.max_chars < 0:
            raise RenderLimitExceeded("the rendered prompt is too large")
        if time.monotonic() > budget.deadline:
            raise RenderLimitExceeded("rendering took too long")

    def _room(self) -> int:
        budget: _Budget | None = getattr(self._local, "budget", None)
        return budget.max_chars if budget is not None else 1 << 62

    def _bounded(self, fn: Callable[..., Any]) -> Callable[..., Any]:  # Any: jinja2 filter signature
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:  # Any: filter arguments and result
            self.tick()
            out = fn(*args, **kwargs)
            if isinstance(out, str) and len(out) > self._room():
                raise RenderLimitExceeded("the rendered prompt is too large")
            return out

        return run

    # ------------------------------------------------------------------ sandbox hooks

    def getattr(self, obj: Any, attribute: str) -> Any:  # Any: template values
        """Read an attribute (sandbox rules apply), checking the deadline."""
        self.tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:  # Any: template values
        """Read an item (sandbox rules apply), checking the deadline."""
        self.tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # Any: template values
        """Call a (safe) callable, checking the deadline."""
        __self.tick()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:  # Any: values
        """`*` and `**` with a size check before the result is built."""
        self.tick()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > self._room():
                    raise RenderLimitExceeded("the rendered prompt is too large")
            return left * right
        if isinstance(left, int) and isinstance(right, int) and abs(right) > 1024:
            raise RenderLimitExceeded("exponent too large")
        return super().call_binop(context, operator, left, right)


class TickingList(list[Any]):
    """A variable's list: iterating it checks the render deadline (loops over client data are bounded)."""

    __slots__ = ("_tick",)

    def __init__(self, items: list[Any], tick: Callable[[], None]) -> None:  # Any: JSON values
        super().__init__(items)
        self._tick = tick

    def __iter__(self) -> Iterator[Any]:  # Any: JSON values
        tick = self._tick
        for i, item in enumerate(super().__iter__()):
            if not i & 255:
                tick()
            yield item
