"""Prompts at request time: validate variables, render the messages in the sandbox, build the chat body.

A `PromptBook` belongs to one config version: each prompt's templates are compiled on first use and
kept (no per-request compilation). `PromptCatalog` hands out the book of the config a request is
served with, keeping the last two versions so a reload does not recompile under requests in flight.
Every failure is a `RequestError` (400) or `NotFound` (404): variables are checked before anything
renders, and a render that fails returns nothing, so a half-rendered prompt never reaches a model.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from jinja2 import Template
from jinja2.exceptions import SecurityError, UndefinedError

from compiler.specs import CompiledGateway, PromptSpec
from gateway.errors import NotFound, RequestError
from gateway.runtime.prompt_sandbox import PromptSandbox, RenderLimitExceeded, TickingList
from gateway.runtime.prompt_variables import VariableCheck, build_variable_checks, check_variables

__all__ = [
    "DEFAULT_MAX_CHARS",
    "DEFAULT_TIMEOUT_S",
    "CompiledPrompt",
    "PromptBook",
    "PromptCatalog",
    "RenderedPrompt",
]

DEFAULT_TIMEOUT_S = 0.25
"""Longest a render may take (the templates are operators'; the values are clients')."""
DEFAULT_MAX_CHARS = 256 * 1024
"""Most characters all messages of one render may hold together."""

_DECODER = msgspec.json.Decoder()
_MISSING = re.compile(r"'([^']*)'(?: is undefined)?$")


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """A prompt with its variables filled in: the messages and the prompt's default parameters."""

    spec: PromptSpec
    messages: list[dict[str, str]]
    params: dict[str, Any]  # Any: JSON request parameters

    def chat_body(self, overrides: Mapping[str, Any], *, stream: bool) -> dict[str, Any]:  # Any: JSON
        """The chat request: defaults, then the client's overrides, then the rendered messages."""
        body: dict[str, Any] = {**self.params, **overrides, "messages": self.messages}  # Any: JSON
        if stream:
            body["stream"] = True
        return body


def _as_data(value: Any, sandbox: PromptSandbox) -> Any:  # Any: JSON values
    """Lists become TickingLists (loops over them watch the deadline); everything else stays data."""
    if isinstance(value, list):
        return TickingList([_as_data(v, sandbox) for v in value], sandbox.tick)
    if isinstance(value, dict):
        return {k: _as_data(v, sandbox) for k, v in value.items()}
    return value


def _render_error(prompt_id: str, exc: Exception) -> RequestError:
    head = f"prompt `{prompt_id}` could not be rendered"
    if isinstance(exc, RenderLimitExceeded):
        return RequestError(f"{head}: {exc}", code="prompt_render_limit")
    if isinstance(exc, SecurityError):  # the message would describe Python internals: keep it out
        return RequestError(f"{head}: the template tried something the sandbox refuses", code="prompt_unsafe")
    if isinstance(exc, UndefinedError):  # name what is missing, not the Python type it was looked up on
        found = _MISSING.search(exc.message or "")
        what = f"`{found.group(1)[:64]}`" if found else "a value"
        return RequestError(
            f"{head}: the template reads {what}, which is not there", code="prompt_render_failed"
        )
    return RequestError(f"{head}: {type(exc).__name__} in the template", code="prompt_render_failed")


class CompiledPrompt:
    """One prompt ready to render: its sandbox, compiled message templates and variable checks."""

    def __init__(self, spec: PromptSpec, *, timeout_s: float, max_chars: int) -> None:
        self.spec = spec
        self.sandbox = PromptSandbox(dict(spec.partials))
        self.templates: tuple[tuple[str, Template], ...] = tuple(
            (m.role, self.sandbox.from_string(m.template)) for m in spec.messages
        )
        self.checks: tuple[VariableCheck, ...] = build_variable_checks(spec)
        self.params: dict[str, Any] = _DECODER.decode(spec.params)  # Any: JSON request parameters
        self.timeout_s = timeout_s
        self.max_chars = max_chars

    def render(self, variables: Any) -> RenderedPrompt:  # Any: the request's `variables` value
        """Check the variables, then render every message or raise (nothing partial is returned)."""
        values = check_variables(self.spec.id, self.checks, variables)
        sandbox = self.sandbox
        data = {k: _as_data(v, sandbox) for k, v in values.items()}
        sandbox.begin(self.timeout_s, self.max_chars)
        messages: list[dict[str, str]] = []
        try:
            for role, template in self.templates:
                parts: list[str] = []
                for chunk in template.root_render_func(template.new_context(data)):
                    sandbox.spend(len(chunk))
                    parts.append(chunk)
                # a YAML block scalar ends in a line break nobody means to send
                messages.append({"role": role, "content": "".join(parts).rstrip("\n")})
        except RequestError:
            raise
        except Exception as exc:  # whatever a template raises is the request's 400, never a 500
            raise _render_error(self.spec.id, exc) from None
        return RenderedPrompt(spec=self.spec, messages=messages, params=dict(self.params))


class PromptBook:
    """The prompts of one config version, compiled on first use."""

    def __init__(
        self,
        compiled: CompiledGateway,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.specs = {p.id: p for p in compiled.prompts}
        self._timeout_s = timeout_s
        self._max_chars = max_chars
        self._ready: dict[str, CompiledPrompt] = {}

    def get(self, prompt_id: str) -> CompiledPrompt:
        """The compiled prompt, or a 404 naming the id."""
        ready = self._ready.get(prompt_id)
        if ready is not None:
            return ready
        spec = self.specs.get(prompt_id)
        if spec is None:
            known = ", ".join(f"`{p}`" for p in sorted(self.specs)[:20]) or "none"
            raise NotFound(f"unknown prompt `{prompt_id[:64]}`; prompts: {known}", param="prompt_id")
        ready = CompiledPrompt(spec, timeout_s=self._timeout_s, max_chars=self._max_chars)
        self._ready[prompt_id] = ready
        return ready

    def render(self, prompt_id: str, variables: Any) -> RenderedPrompt:  # Any: request JSON
        """Render a prompt by id with the request's variables."""
        return self.get(prompt_id).render(variables)


class PromptCatalog:
    """The PromptBook of each config version in use (by content hash; the last two are kept)."""

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self._books: OrderedDict[str, PromptBook] = OrderedDict()
        self._timeout_s = timeout_s
        self._max_chars = max_chars

    def book(self, compiled: CompiledGateway) -> PromptBook:
        """The book for this compiled config."""
        key = compiled.content_hash
        found = self._books.get(key)
        if found is None:
            found = PromptBook(compiled, timeout_s=self._timeout_s, max_chars=self._max_chars)
            self._books[key] = found
            while len(self._books) > 2:
                self._books.popitem(last=False)
        return found
