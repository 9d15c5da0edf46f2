"""Parse YAML text into Documents, keeping positions and rejecting what YAML does silently.

PyYAML keeps the last of two duplicate keys, expands merge keys and aliases, and turns `on`/`yes`
into booleans. Composing nodes ourselves lets us report each of those at its line and column.
"""

from __future__ import annotations

from typing import Any

import yaml

from compiler.diagnostics import Diagnostic
from compiler.document import Document
from compiler.pointer import join

__all__ = ["MAX_DEPTH", "parse_yaml"]

MAX_DEPTH = 64
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_BOOL = "tag:yaml.org,2002:bool"
_PLAIN = (str, int, float, bool, type(None))
_BOOL_WORDS = frozenset({"yes", "no", "on", "off"})
_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _pos(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    """Convert one composed document to plain data, recording positions and problems."""

    def __init__(self, file: str) -> None:
        self.doc = Document(file=file, data=None)
        self.diags: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.aliases: list[str] = []
        """Pointers where an alias repeated a node, in document order."""
        self.constructor = yaml.constructor.SafeConstructor()

    def walk(self, node: yaml.Node, pointer: str, depth: int) -> Any:  # Any: YAML value
        self.doc.values[pointer] = _pos(node)
        if depth > MAX_DEPTH:
            self.diags.append(self.doc.diag("GW-E0001", pointer, f"nesting deeper than {MAX_DEPTH} levels"))
            return None
        if id(node) in self.seen:
            self.aliases.append(pointer)
            return None
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, pointer)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, join(pointer, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        return self.mapping(node, pointer, depth)

    def mapping(self, node: yaml.MappingNode, pointer: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.doc.values.setdefault(join(pointer, "<<"), _pos(key_node))
                self.diags.append(
                    self.doc.diag("GW-E0003", join(pointer, "<<"), "yaml merge keys (`<<`) are not supported")
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                self.diags.append(self._bad_key(key_node, pointer))
                continue
            key = key_node.value
            child = join(pointer, key)
            if key in out:
                first = self.doc.keys[child]
                self.doc.keys[child] = _pos(key_node)
                self.diags.append(
                    self.doc.diag(
                        "GW-E0002",
                        child,
                        f"duplicate key `{key}`",
                        key=True,
                        hint="remove one of them: yaml would silently keep the last",
                        notes=(f"first defined at {self.doc.file}:{first[0]}:{first[1]}",),
                    )
                )
                self.doc.keys[child] = first
                continue
            self.doc.keys[child] = _pos(key_node)
            out[key] = self.walk(value_node, child, depth + 1)
        return out

    def _bad_key(self, key_node: yaml.Node, pointer: str) -> Diagnostic:
        line, col = _pos(key_node)
        raw = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        hint = f'quote it: "{raw}"' if isinstance(raw, str) else "keys must be plain strings"
        found = f"`{raw}`" if isinstance(raw, str) else "a collection"
        return Diagnostic(
            code="GW-E0004",
            severity="error",
            message=f"mapping key {found} is not a string",
            file=self.doc.file,
            line=line,
            col=col,
            pointer=pointer,
            hint=hint,
        )

    def scalar(self, node: yaml.ScalarNode, pointer: str) -> Any:  # Any: YAML scalar
        if node.tag == _STR:
            return node.value
        try:
            value = self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            self.diags.append(self.doc.diag("GW-E0001", pointer, f"unsupported yaml tag `{node.tag}`"))
            return None
        if node.tag == _BOOL and node.value.lower() in _BOOL_WORDS:
            self.diags.append(
                self.doc.diag(
                    "GW-W0905",
                    pointer,
                    f"`{node.value}` was read as the boolean {str(value).lower()}",
                    hint=f'write `{str(value).lower()}`, or quote it ("{node.value}") to keep a string',
                )
            )
        return value if isinstance(value, _PLAIN) else node.value


def _syntax_error(file: str, exc: Exception) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(exc, "problem", None) or "cannot parse"
    if isinstance(exc, RecursionError):
        problem = "nesting too deep"
    return Diagnostic(
        code="GW-E0001",
        severity="error",
        message=f"invalid yaml: {problem}",
        file=file,
        line=line,
        col=col,
        pointer="",
    )


def parse_yaml(file: str, text: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of a YAML text; a syntax error drops the whole file."""
    docs: list[Document] = []
    diags: list[Diagnostic] = []
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=_LOADER) if n is not None]
    except (yaml.YAMLError, RecursionError) as exc:
        return [], [_syntax_error(file, exc)]
    aliases: list[tuple[Document, str]] = []
    for node in nodes:
        walker = _Walker(file)
        data = walker.walk(node, "", 0)
        broken = any(d.severity == "error" for d in walker.diags) or bool(walker.aliases)
        doc = Document(file=file, data=data, values=walker.doc.values, keys=walker.doc.keys, broken=broken)
        docs.append(doc)
        diags.extend(walker.diags)
        aliases += [(doc, pointer) for pointer in walker.aliases]
    if aliases:
        diags += _alias_diags(text, aliases)
    return docs, diags


def _alias_diags(text: str, aliases: list[tuple[Document, str]]) -> list[Diagnostic]:
    """Report each alias at its own position (composed nodes only know the anchor's)."""
    marks = [
        e.start_mark
        for e in yaml.parse(text, Loader=_LOADER)
        if isinstance(e, yaml.AliasEvent) and e.start_mark is not None
    ]
    out: list[Diagnostic] = []
    for (doc, pointer), mark in zip(aliases, marks, strict=False):
        line, col = (mark.line + 1, mark.column + 1)
        out.append(
            Diagnostic(
                code="GW-E0003",
                severity="error",
                message="yaml aliases are not supported",
                file=doc.file,
                line=line,
                col=col,
                pointer=pointer,
                hint="repeat the value",
            )
        )
    return out
