"""Compile 1,000 routes + 100 providers + 100 guardrails; report wall time and peak memory.

Run: `python bench/compile.py [--routes N] [--providers N] [--guardrails N] [--repeat N]`.
Targets (issue 2): under 2 s and under 200 MB.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time
import tracemalloc

from compiler import compile_sources
from compiler.loader import default_schemas

ADAPTERS = ["openai", "anthropic", "gemini", "groq", "mistral"]


def providers(count: int) -> str:
    """Provider manifests."""
    return "\n---\n".join(
        f"kind: provider\nid: p{i}\ntype: {ADAPTERS[i % 5]}\napi_key: {{env: KEY_{i}}}\n"
        f"models: [m-large, m-small, m{i}-extra]\nrequest_timeout: {1000 + i}\n"
        for i in range(count)
    )


def guardrails(count: int) -> str:
    """Guardrail manifests with a mix of checks."""
    docs = []
    for i in range(count):
        checks = [
            "  - type: pii\n    parameters: {kinds: [email, api_key]}\n",
            f"  - type: regexMatch\n    parameters: {{rule: 'order-(?<id>\\\\d+)-{i}', not: true}}\n",
            f"  - type: default.contains\n    parameters: {{operator: none, words: [w{i}, secret]}}\n",
        ]
        applies = "[input]" if i % 2 == 0 else "[output]"
        docs.append(
            f"kind: guardrail\nid: g{i}\napplies_to: {applies}\naction: deny\nchecks:\n" + "".join(checks)
        )
    return "\n---\n".join(docs)


def route(i: int, n_providers: int, n_guardrails: int) -> str:
    """One route: a conditional over a fallback and a loadbalance, with retries, cache and guardrails."""
    p = [f"p{(i * 3 + k) % n_providers}" for k in range(4)]
    g_in = f"g{(2 * i) % n_guardrails}"
    g_out = f"g{(2 * i + 1) % n_guardrails}"
    return f"""kind: route
id: r{i}
description: bench route {i}
deadline_ms: 60000
input_guardrails: [{g_in}]
output_guardrails: [{g_out}]
override_params: {{temperature: 0.{i % 10}}}
retry: {{attempts: 2, on_status_codes: [429, 503], use_retry_after_header: true}}
cache: {{mode: simple, max_age: 600}}
strategy:
  mode: conditional
  conditions:
    - query: {{metadata.tier: {{$in: [gold, platinum]}}}}
      then: smart
    - query: {{$or: [{{params.model: fast}}, {{params.temperature: {{$gt: 0.5}}}}]}}
      then: fast
  default: fast
targets:
  - name: smart
    strategy: {{mode: fallback, on_status_codes: [429, 500, 502, 503]}}
    targets:
      - provider: {p[0]}
        override_params: {{model: m-large}}
        request_timeout: 20000
      - provider: {p[1]}
        retry: {{attempts: 1}}
  - name: fast
    strategy:
      mode: loadbalance
      cb_config: {{failure_threshold: 3, cooldown_interval: 30000}}
    targets:
      - {{provider: {p[2]}, weight: 0.7}}
      - {{provider: {p[3]}, weight: 0.3}}
"""


def sources(n_routes: int, n_providers: int, n_guardrails: int) -> dict[str, str]:
    """The manifest texts, one route per file (like a real config tree)."""
    files = {"providers.yaml": providers(n_providers), "guardrails.yaml": guardrails(n_guardrails)}
    for i in range(n_routes):
        files[f"routes/r{i:04d}.yaml"] = route(i, n_providers, n_guardrails)
    files["routes/r0000.yaml"] += "buffer_stream: true\n"
    return {k: v.replace("action: deny", "action: flag") for k, v in files.items()}


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--providers", type=int, default=100)
    parser.add_argument("--guardrails", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sources(args.routes, args.providers, args.guardrails)
    schemas = default_schemas()
    size = sum(len(t) for t in files.values())
    print(f"input: {len(files)} files, {size / 1e6:.2f} MB of YAML")
    times = []
    for _ in range(args.repeat):
        gc.collect()
        start = time.perf_counter()
        result = compile_sources(files, schemas=schemas)
        times.append(time.perf_counter() - start)
        assert result.ok, result.diagnostics[:5]
    gateway = result.gateway
    assert gateway is not None
    print(
        f"compiled: {len(gateway.routes)} routes, {len(gateway.providers)} providers, "
        f"{len(gateway.guardrails)} guardrails, hash {gateway.content_hash}"
    )
    print(f"time: best {min(times):.3f} s, median {statistics.median(times):.3f} s over {len(times)} runs")
    tracemalloc.start()
    compile_sources(files, schemas=schemas)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced allocation during one compile: {peak / 1e6:.1f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"process max RSS (imports + input + compile): {rss:.1f} MB")


if __name__ == "__main__":
    main()
