"""Static checks of prompt templates: they parse, use only declared names, reach nothing private, and
their partials resolve without cycles.

Pure: template texts in, names and diagnostics out. Templates are parsed with the same sandboxed
jinja2 settings the gateway renders with (`template_environment`), so what compiles here renders there.
Positions: jinja2 reports template lines; an `Origin` maps them back to the manifest (a block scalar's
first line is the one after `|`) or to the partial file.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from jinja2 import StrictUndefined, meta, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import suggest
from compiler.passes.prompts_raw import PARTIAL_SUFFIXES

__all__ = [
    "REMOVED_FILTERS",
    "Origin",
    "TemplateFacts",
    "analyse_templates",
    "origin_in_manifest",
    "template_environment",
]


REMOVED_FILTERS = frozenset(
    {"attr", "center", "format", "indent", "pprint", "random", "wordwrap", "xmlattr", "urlize"}
)
"""Filters prompts cannot use: dynamic attribute access, Python reprs, randomness, and filters whose
output size a width argument multiplies."""


def template_environment() -> ImmutableSandboxedEnvironment:
    """The jinja2 settings prompts are parsed with: sandboxed, strict, no globals, no autoescape."""
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # a partial's last line break survives `{% include %}` + trim_blocks
    )
    env.globals.clear()  # no range/lipsum/cycler/namespace: a template sees its variables only
    for name in REMOVED_FILTERS:
        env.filters.pop(name, None)
    return env


@dataclass(frozen=True)
class Origin:
    """Where a template's text sits, to map jinja2's (line, column) to a file position."""

    file: str
    line: int
    """File line of the template's first line."""
    col: int
    """File column (1-based) of the template's first character."""
    block: bool
    """A block scalar or a file: every template line starts at `col`; else only the first does."""
    pointer: str = ""

    def at(self, tline: int, tcol: int = 0) -> tuple[int, int]:
        """Return the 1-based file (line, col) of template line `tline`, 0-based column `tcol`."""
        if tline <= 1:
            return self.line, self.col + tcol
        return self.line + tline - 1, (self.col + tcol) if self.block else 1

    def diag(self, code: str, tline: int, tcol: int, message: str, hint: str | None = None) -> Diagnostic:
        """Build a diagnostic at a template position."""
        line, col = self.at(tline, tcol)
        return Diagnostic(
            code=code,
            severity="warning" if code.startswith("GW-W") else "error",
            message=message,
            file=self.file,
            line=line,
            col=col,
            pointer=self.pointer,
            hint=hint,
        )


def origin_in_manifest(file: str, text: str, line: int, col: int, pointer: str) -> Origin:
    """The origin of a YAML string value at (line, col): block (`|`, `>`), quoted or plain scalar."""
    lines = text.splitlines()
    first = lines[line - 1][col - 1 : col] if 0 < line <= len(lines) else ""
    if first in ("|", ">"):
        body = next((s for s in lines[line:] if s.strip()), "")
        return Origin(
            file=file, line=line + 1, col=len(body) - len(body.lstrip(" ")) + 1, block=True, pointer=pointer
        )
    if first in ('"', "'"):
        return Origin(file=file, line=line, col=col + 1, block=False, pointer=pointer)
    return Origin(file=file, line=line, col=col, block=False, pointer=pointer)


@dataclass
class TemplateFacts:
    """What the templates of one prompt use: names, partials (name → text) and problems."""

    used: set[str] = field(default_factory=set)
    partials: dict[str, str] = field(default_factory=dict)
    diags: list[Diagnostic] = field(default_factory=list)
    complete: bool = True
    """False when a template did not parse: `used` may miss names."""


_REFS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
_REF_WORDS: dict[type[nodes.Node], str] = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from",
    nodes.Extends: "extends",
}


def _column(text: str, tline: int, word: str, *, name: bool = True) -> int:
    """0-based column of `word` on a template line (as a name, or anywhere), else 0."""
    lines = text.splitlines()
    if not 0 < tline <= len(lines):
        return 0
    if not name:
        return max(lines[tline - 1].find(word), 0)
    found = re.search(rf"(?<![\w.]){re.escape(word)}\b", lines[tline - 1])
    return found.start() if found else 0


def _unsafe(ast: nodes.Template, filters: Mapping[str, object]) -> Iterator[tuple[nodes.Node, str, str]]:
    """Yield (node, word, message) for every construct that reaches past the template's variables."""
    for node in ast.find_all((nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Name) and (node.name == "self" or node.name.startswith("_")):
            yield node, node.name, f"templates cannot reach `{node.name}`"
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            yield node, node.attr, f"attribute `{node.attr}` is private: templates cannot reach it"
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            key = node.arg.value
            if isinstance(key, str) and key.startswith("_"):
                yield node, key, f"item `{key}` is private: templates cannot reach it"
        elif isinstance(node, nodes.Filter) and node.name not in filters:
            yield node, node.name, f"filter `{node.name}` is not available in prompts"
        elif isinstance(node, nodes.Filter):
            for arg in (*node.args, *(k.value for k in node.kwargs)):
                if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and arg.value.startswith("_"):
                    yield node, arg.value, f"filter argument `{arg.value}` names a private attribute"


def _bound(ast: nodes.Template) -> set[str]:
    """Names a template binds (set, for, macro parameters): an included partial sees them too."""
    return {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}


@dataclass
class _Walk:
    """One prompt's traversal of its templates and partials."""

    prompt: str
    declared: frozenset[str]
    base: str
    sources: Mapping[str, str]
    facts: TemplateFacts = field(default_factory=TemplateFacts)
    stack: list[str] = field(default_factory=list)
    done: set[str] = field(default_factory=set)

    def template(self, text: str, origin: Origin, scope: frozenset[str]) -> None:
        env = template_environment()
        try:
            ast = env.parse(text)
        except TemplateSyntaxError as exc:
            first, _, rest = (exc.message or "invalid syntax").partition(". ")
            msg = f"template does not parse: {first[:1].lower()}{first[1:].rstrip('.')}"
            hint = rest[:1].lower() + rest[1:] if rest else None
            self.facts.diags.append(origin.diag("GW-E0701", exc.lineno or 1, 0, msg, hint))
            self.facts.complete = False
            return
        unsafe = list(_unsafe(ast, env.filters))
        for node, word, msg in unsafe:
            col = _column(text, node.lineno, word, name=isinstance(node, nodes.Name))
            self.facts.diags.append(origin.diag("GW-E0705", node.lineno, col, msg))
        try:
            names = meta.find_undeclared_variables(ast) - {"self"}
        except TemplateSyntaxError as exc:  # jinja2's code generator refuses an unknown filter or test
            if not unsafe:
                msg = f"template does not compile: {(exc.message or 'invalid').lower().rstrip('.')}"
                self.facts.diags.append(origin.diag("GW-E0701", exc.lineno or 1, 0, msg))
            self.facts.complete = False
            return
        self.facts.used |= names
        for name in sorted(names - scope):
            node = next(n for n in ast.find_all(nodes.Name) if n.name == name)
            hint = suggest(name, self.declared, "declared variables") or "declare it under `variables:`"
            msg = f"`{name}` is not a declared variable of prompt `{self.prompt}`"
            self.facts.diags.append(
                origin.diag("GW-E0702", node.lineno, _column(text, node.lineno, name), msg, hint)
            )
        inner = scope | _bound(ast)
        for ref in ast.find_all(_REFS):
            self.reference(ref, text, origin, inner)

    def reference(self, ref: nodes.Node, text: str, origin: Origin, scope: frozenset[str]) -> None:
        target = getattr(ref, "template", None)
        col = _column(text, ref.lineno, _REF_WORDS.get(type(ref), ""), name=False)
        if not isinstance(target, nodes.Const) or not isinstance(target.value, str):
            msg = "a partial must be named by a literal string"
            self.facts.diags.append(origin.diag("GW-E0703", ref.lineno, col, msg))
            return
        name = target.value
        col = _column(text, ref.lineno, name, name=False) or col
        path = posixpath.normpath(posixpath.join(self.base, name))
        if path not in self.sources or not path.endswith(PARTIAL_SUFFIXES):
            here = [
                posixpath.relpath(p, self.base or ".") for p in self.sources if p.endswith(PARTIAL_SUFFIXES)
            ]
            hint = suggest(name, here, "partials beside the manifest") or (
                f"create `{path}` (partials are .j2/.jinja files, named relative to the manifest)"
            )
            self.facts.diags.append(
                origin.diag("GW-E0703", ref.lineno, col, f"partial `{name}` not found", hint)
            )
            return
        if name in self.stack:
            chain = " → ".join([*self.stack[self.stack.index(name) :], name])
            msg = f"partials include each other in a cycle: {chain}"
            self.facts.diags.append(origin.diag("GW-E0704", ref.lineno, col, msg))
            return
        self.facts.partials[name] = self.sources[path]
        if name in self.done:
            return
        self.stack.append(name)
        self.template(self.sources[path], Origin(file=path, line=1, col=1, block=True), scope)
        self.stack.pop()
        self.done.add(name)


def analyse_templates(
    prompt: str,
    templates: list[tuple[str, Origin]],
    declared: frozenset[str],
    base: str,
    sources: Mapping[str, str],
) -> TemplateFacts:
    """Check every message template of a prompt and the partials they reach (named relative to `base`)."""
    walk = _Walk(prompt=prompt, declared=declared, base=base, sources=sources)
    for text, origin in templates:
        walk.template(text, origin, declared)
    return walk.facts
