"""The compiled artifact: immutable Specs that the gateway links into live objects.

This module is a leaf (stdlib + msgspec only). Everything here is frozen, keyword-only, holds
tuples instead of lists and canonical JSON text instead of dicts, and never a secret: credentials are
`SecretRef`s, resolved by the gateway at link time.

    CompiledGateway
    ├── providers:  ProviderSpec…
    ├── routes:     RouteSpec…  ── root: NodeSpec = StrategySpec | LeafSpec (a tree)
    ├── guardrails: GuardrailSpec…  ── checks: CheckSpec…
    ├── budgets:    BudgetSpec…
    ├── pricing:    PriceSpec…
    ├── prompts:    PromptSpec…
    └── policy:     PolicySpec
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import msgspec

__all__ = [
    "ARTIFACT_VERSION",
    "ActionKind",
    "AdapterType",
    "BudgetSpec",
    "CacheSpec",
    "CheckSpec",
    "CircuitBreakerSpec",
    "CompareOp",
    "CompiledGateway",
    "ConditionSpec",
    "GuardrailSpec",
    "LeafSpec",
    "NodeSpec",
    "PolicySpec",
    "PriceSpec",
    "PromptMessageSpec",
    "PromptSpec",
    "PromptVariableSpec",
    "ProviderSpec",
    "QueryAll",
    "QueryAny",
    "QueryCompare",
    "QuerySpec",
    "RetrySpec",
    "RouteSpec",
    "ScopeSpec",
    "SecretRef",
    "Source",
    "StrategySpec",
    "content_hash",
]

ARTIFACT_VERSION = 1

AdapterType = Literal[
    "openai",
    "openai-compatible",
    "anthropic",
    "gemini",
    "ollama",
    "azure-openai",
    "groq",
    "together",
    "mistral",
    "deepseek",
    "openrouter",
    "fireworks",
    "perplexity",
    "xai",
    "vllm",
    "lmstudio",
]
"""Every adapter type the gateway can link. OpenAI-compatible vendors are data in the gateway."""

ActionKind = Literal["deny", "flag", "redact"]
CompareOp = Literal["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex"]


class Source(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where a compiled object came from: a manifest position or a pointer into a header config."""

    file: str
    """Manifest path relative to the config root, or `<x-portkey-config>` for a header config."""
    line: int = 0
    """1-based line (0 when the origin has no lines, e.g. a header)."""
    col: int = 0
    """1-based column."""
    pointer: str = ""
    """RFC 6901 pointer of the object inside its document."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else f"{self.file}#{self.pointer}"


class SecretRef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A credential named, never held: an environment variable or a per-request slot."""

    env: str | None = None
    """Name of the environment variable that holds the value."""
    slot: int | None = None
    """Index into the secrets a header config carried (header configs only; never serialised to disk)."""


# --------------------------------------------------------------------------- providers


class ProviderSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An upstream the gateway can call, with its adapter and defaults."""

    id: str
    type: AdapterType
    """Which adapter speaks to it."""
    base_url: str | None = None
    """Override of the adapter's default base URL (required for openai-compatible, vllm, lmstudio)."""
    api_key: SecretRef | None = None
    models: tuple[str, ...] = ()
    """Models this provider may be asked for; empty means any."""
    default_model: str | None = None
    """Model used when neither the request nor override_params name one."""
    timeout_ms: int | None = None
    """Default per-attempt timeout for calls to this provider."""
    headers: tuple[tuple[str, str | SecretRef], ...] = ()
    """Extra headers sent on every call, sorted by name."""
    api_version: str | None = None
    """Azure OpenAI `api-version`; Anthropic `anthropic-version`."""
    deployments: tuple[tuple[str, str], ...] = ()
    """Azure OpenAI: model name → deployment name."""
    source: Source


# --------------------------------------------------------------------------- routing tree


class RetrySpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Retries of one target before the strategy above it moves on."""

    attempts: int = 0
    """Retries after the first call (Portkey semantics: 2 means up to 3 calls)."""
    on_status_codes: tuple[int, ...] = (429, 500, 502, 503, 504)
    use_retry_after_header: bool = False
    backoff_base_ms: int = 100
    backoff_max_ms: int = 10_000
    jitter: bool = True
    """Full jitter: sleep uniformly in [0, min(max, base·2^n)]."""
    max_retry_after_ms: int = 60_000
    """A Retry-After longer than this is not waited for: the attempt fails over instead."""


class CacheSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Response caching for a target (inherited down the tree)."""

    mode: Literal["simple", "semantic"]
    max_age_s: int | None = None
    """Time to live in seconds; None means the backend default."""
    threshold: float = 0.90
    """Semantic mode: minimum cosine similarity for a hit (then a fact check; see docs/caching.md)."""


class CircuitBreakerSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Per-target breaker: opens after failures, probes after a cooldown."""

    failure_threshold: int = 5
    """Consecutive failures that open the breaker."""
    failure_status_codes: tuple[int, ...] = (429, 500, 502, 503, 504)
    cooldown_ms: int = 30_000
    """How long the breaker stays open before one half-open probe."""
    minimum_requests: int = 1
    failure_threshold_percentage: float | None = None
    """Portkey `cb_config`: open when this percentage of at least `minimum_requests` calls failed."""


class QueryCompare(
    msgspec.Struct, tag="cmp", tag_field="kind", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """`<root>.<field> <op> value`; root is `metadata`, `params` or `url`."""

    root: Literal["metadata", "params", "url"]
    field: str
    op: CompareOp
    value: str
    """The operand as canonical JSON text (a list for $in/$nin, a pattern string for $regex)."""


class QueryAll(
    msgspec.Struct, tag="and", tag_field="kind", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """All sub-queries hold (`$and`, or several keys in one query object)."""

    items: tuple[QuerySpec, ...]


class QueryAny(
    msgspec.Struct, tag="or", tag_field="kind", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """At least one sub-query holds (`$or`)."""

    items: tuple[QuerySpec, ...]


QuerySpec = QueryCompare | QueryAll | QueryAny


class ConditionSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A conditional-routing rule: the first query that holds picks `then`."""

    query: QuerySpec
    then: int
    """Index of the chosen target among the strategy's targets."""
    source: Source


class LeafSpec(
    msgspec.Struct, tag="leaf", tag_field="kind", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """A target that calls a provider; every inherited setting is already resolved onto it."""

    path: str
    """Portkey JSON path of this node, e.g. `config.targets[1].targets[0]`."""
    provider: str
    """Id of a ProviderSpec in the gateway (or in the header config's own providers)."""
    name: str | None = None
    weight: float = 1.0
    override_params: str = "{}"
    """Parameters merged over the request body, as canonical JSON (child wins over parent)."""
    retry: RetrySpec = RetrySpec()
    request_timeout_ms: int | None = None
    """Per-attempt timeout; None falls back to the provider's, then the policy's default."""
    cache: CacheSpec | None = None
    custom_host: str | None = None
    forward_headers: tuple[str, ...] = ()
    strict_openai_compliance: bool = True
    input_guardrails: tuple[str, ...] = ()
    """Guardrail ids checked before this target is called (in addition to the route's)."""
    output_guardrails: tuple[str, ...] = ()
    circuit_breaker: CircuitBreakerSpec | None = None
    source: Source


class StrategySpec(
    msgspec.Struct, tag="strategy", tag_field="kind", frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """A node that chooses among its targets."""

    path: str
    mode: Literal["single", "fallback", "loadbalance", "conditional"]
    targets: tuple[NodeSpec, ...]
    name: str | None = None
    weight: float = 1.0
    on_status_codes: tuple[int, ...] | None = None
    """Fallback: move on only on these statuses; None means on any failure."""
    conditions: tuple[ConditionSpec, ...] = ()
    default: int | None = None
    """Conditional: index of the target used when no condition holds."""
    source: Source


NodeSpec = StrategySpec | LeafSpec


class RouteSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named routing tree; its id is what applications put in `x-portkey-config`."""

    id: str
    root: NodeSpec
    description: str = ""
    input_guardrails: tuple[str, ...] = ()
    """Checked before cache lookup and routing (includes the policy's enforced ones)."""
    output_guardrails: tuple[str, ...] = ()
    deadline_ms: int | None = None
    """Overall deadline shared by every attempt in the tree."""
    buffer_stream: bool = False
    """Buffer streamed output so that end-of-stream deny guardrails can act before any text is sent."""
    header_selectable: bool = True
    source: Source


# --------------------------------------------------------------------------- guardrails


class CheckSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One check of a guardrail, its parameters validated against the check's schema."""

    type: str
    """Check id, e.g. `pii`, `keywords`, `regexMatch`, `jsonSchema` (a `default.` prefix is stripped)."""
    params: str = "{}"
    """Parameters as canonical JSON."""
    source: Source


class GuardrailSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named list of checks with where it applies and what happens when one fails."""

    id: str
    checks: tuple[CheckSpec, ...]
    applies_to: tuple[Literal["input", "output"], ...] = ("input", "output")
    action: ActionKind = "deny"
    stream_mode: Literal["window", "end"] = "window"
    """Output on streams: check a sliding window as chunks pass, or once at the end."""
    source: Source


# --------------------------------------------------------------------------- budgets, pricing


class ScopeSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a budget counts: one key, a key tag, a metadata value, a route, a provider or a model."""

    kind: Literal["key", "key_tag", "metadata", "route", "provider", "model", "global"]
    value: str = ""
    """The key id, tag, route id, provider id or model; for metadata, the value to match."""
    metadata_key: str | None = None


class BudgetSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Spend and rate limits over a scope."""

    id: str
    scope: ScopeSpec
    period: Literal["daily", "monthly", "total"] = "monthly"
    limit_usd: float | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    action: Literal["deny", "alert"] = "deny"
    default_reservation_usd: float | None = None
    """Cost reserved when the request gives no bound (no max_tokens) and the model has no price."""
    source: Source


class PriceSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Prices for one model in USD per million tokens of each class."""

    model: str
    provider_type: str = "*"
    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None
    """None means reasoning tokens are billed as output."""
    source: Source


# --------------------------------------------------------------------------- prompts


class PromptVariableSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A declared template variable: its JSON Schema and default."""

    name: str
    schema: str = "{}"
    default: str | None = None
    """Default as canonical JSON; None means required."""


class PromptMessageSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One message of a prompt, its content a jinja2 template."""

    role: Literal["system", "user", "assistant", "developer"]
    template: str


class PromptSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A versioned prompt called by id."""

    id: str
    version: str
    """Version label from the manifest (free text), reported by `/render`."""
    route: str
    """Id of the route completions run through."""
    messages: tuple[PromptMessageSpec, ...]
    variables: tuple[PromptVariableSpec, ...] = ()
    params: str = "{}"
    """Default chat request parameters as canonical JSON."""
    partials: tuple[tuple[str, str], ...] = ()
    """Partial name → template text, resolved at compile time."""
    description: str = ""
    source: Source


# --------------------------------------------------------------------------- policy and root


class PolicySpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Gateway-wide rules that a request header cannot weaken."""

    enforced_input_guardrails: tuple[str, ...] = ()
    enforced_output_guardrails: tuple[str, ...] = ()
    allowed_custom_hosts: tuple[str, ...] = ()
    """Hosts or CIDRs that `custom_host` may name in addition to public addresses."""
    default_request_timeout_ms: int = 60_000
    default_deadline_ms: int = 300_000
    header_configs: bool = True
    """Whether a JSON `x-portkey-config` is accepted at all."""
    header_selectable_routes: tuple[str, ...] | None = None
    """Route ids selectable by header; None means every route marked header_selectable."""
    max_body_bytes: int = 10 * 1024 * 1024
    log_prompts: bool = False
    on_valkey_down: Literal["local", "fail_closed"] = "local"
    on_database_down: Literal["spool", "fail_closed"] = "spool"
    """`spool`: keep serving (ledger spooled, keys from the verified cache) and stay ready;
    `fail_closed`: report not ready (503 on `/ready`) while the database does not answer."""
    cache_partition: Literal["key", "key_tag", "none"] = "key"
    source: Source | None = None


class CompiledGateway(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The whole compiled configuration; every collection sorted by id."""

    version: int = ARTIFACT_VERSION
    content_hash: str = ""
    providers: tuple[ProviderSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    guardrails: tuple[GuardrailSpec, ...] = ()
    budgets: tuple[BudgetSpec, ...] = ()
    pricing: tuple[PriceSpec, ...] = ()
    prompts: tuple[PromptSpec, ...] = ()
    policy: PolicySpec = PolicySpec()


_ENCODER = msgspec.json.Encoder(order="deterministic")


def _strip_sources(value: Any) -> Any:  # Any: walks msgspec.to_builtins output
    if isinstance(value, dict):
        return {k: _strip_sources(v) for k, v in value.items() if k != "source" and k != "content_hash"}
    if isinstance(value, list | tuple):  # to_builtins keeps tuples as tuples
        return [_strip_sources(v) for v in value]
    return value


def content_hash(gateway: CompiledGateway) -> str:
    """Hash the meaning of a compiled gateway: positions and formatting do not count."""
    body = _strip_sources(msgspec.to_builtins(gateway))
    return "sha256:" + hashlib.sha256(_ENCODER.encode(body)).hexdigest()[:32]
