"""RFC 6901 JSON pointers."""

from __future__ import annotations

__all__ = ["escape", "join", "parent", "portkey_path"]


def escape(token: str | int) -> str:
    """Escape one reference token (`~` → `~0`, `/` → `~1`)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join(base: str, *tokens: str | int) -> str:
    """Append reference tokens to a pointer."""
    out = base
    for token in tokens:
        text = str(token)
        out += "/" + (escape(text) if "~" in text or "/" in text else text)
    return out


def parent(pointer: str) -> str:
    """Return the pointer of the containing value (`""` for the root)."""
    return pointer.rsplit("/", 1)[0] if pointer else ""


def portkey_path(indexes: tuple[int, ...]) -> str:
    """Render target indexes as Portkey's JSON path, e.g. `config.targets[1].targets[0]`."""
    return "config" + "".join(f".targets[{i}]" for i in indexes)
