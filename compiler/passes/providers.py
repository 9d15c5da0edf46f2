"""Providers: ProviderSpecs, with credentials only as environment references."""

from __future__ import annotations

import re
from typing import cast

from compiler.diagnostics import Diagnostic
from compiler.did_you_mean import suggest
from compiler.document import Document
from compiler.passes.kinds import Entry, build_each
from compiler.pointer import join
from compiler.raw import RawEnv, RawProvider
from compiler.specs import AdapterType, ProviderSpec, SecretRef

__all__ = ["ENV_NAME", "build_providers", "resolve_secret"]

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""A portable environment variable name."""
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})


def resolve_secret(
    doc: Document, pointer: str, value: RawEnv | str, *, secret: bool
) -> tuple[SecretRef | str | None, list[Diagnostic]]:
    """Turn `{env: NAME}` into a SecretRef; a literal is an error where a secret is expected."""
    if isinstance(value, RawEnv):
        if not ENV_NAME.match(value.env):
            msg = "`env` is not an environment variable name (value not shown: it may be a secret)"
            hint = "use letters, digits and `_`, not starting with a digit, e.g. `OPENAI_API_KEY`"
            return None, [doc.diag("GW-E0402", join(pointer, "env"), msg, hint=hint)]
        return SecretRef(env=value.env), []
    if secret:
        msg = "literal secret in a manifest (value not shown)"
        hint = "reference an environment variable instead: `{env: NAME}`"
        return None, [doc.diag("GW-E0401", pointer, msg, hint=hint)]
    return value, []


def _build_one(entry: Entry, raw: RawProvider) -> tuple[ProviderSpec, list[Diagnostic]]:
    doc = entry.doc
    diags: list[Diagnostic] = []
    api_key: SecretRef | None = None
    if raw.api_key is not None:
        found, errs = resolve_secret(doc, "/api_key", raw.api_key, secret=True)
        diags.extend(errs)
        api_key = found if isinstance(found, SecretRef) else None
    headers: list[tuple[str, str | SecretRef]] = []
    for name in sorted(raw.headers, key=str.lower):
        value, errs = resolve_secret(
            doc, join("/headers", name), raw.headers[name], secret=name.lower() in _SECRET_HEADERS
        )
        diags.extend(errs)
        if value is not None:
            headers.append((name, value))
    if raw.default_model is not None and raw.models and raw.default_model not in raw.models:
        msg = f"default model `{raw.default_model}` is not in `models`"
        hint = suggest(raw.default_model, raw.models, "models")
        diags.append(doc.diag("GW-E0512", "/default_model", msg, hint=hint))
    spec = ProviderSpec(
        id=raw.id,
        type=cast(AdapterType, raw.type),
        base_url=raw.base_url,
        api_key=api_key,
        models=raw.models,
        default_model=raw.default_model,
        timeout_ms=raw.request_timeout,
        headers=tuple(headers),
        api_version=raw.api_version,
        deployments=tuple(sorted(raw.deployments.items())),
        source=doc.source(""),
    )
    return spec, diags


def build_providers(entries: list[Entry]) -> tuple[list[ProviderSpec], list[Diagnostic]]:
    """Build a ProviderSpec for every valid provider manifest."""
    return build_each(entries, RawProvider, _build_one)
