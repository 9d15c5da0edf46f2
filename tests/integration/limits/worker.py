"""One gw replica's limiter in its own OS process, driven by tests/integration/limits over stdin/stdout.

Usage: python -m tests.integration.limits.worker '<json spec>'
Prints `ready`, waits for a `go` line (so that replicas start together), runs the scenario and prints
one JSON line with what it saw.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from typing import Any

from valkey.asyncio import Valkey

from compiler.specs import BudgetSpec, PriceSpec, ScopeSpec, Source
from gateway.errors import LimitExceeded
from gateway.limits.limiter import BudgetLimiter, LimiterConfig
from gateway.limits.pricing import CostCalculator
from gateway.limits.valkey_store import ValkeyStore
from gateway.ports import LimitContext, Reservation, VirtualKey
from gateway.usage import Usage

SRC = Source(file="budgets/team.yaml", line=1, col=1)
PRICES = (PriceSpec(model="flat", input=10.0, output=10.0, source=SRC),)
# 1000 prompt + 1000 max output at 10 USD per million = 0.02 USD held per request.
CTX = LimitContext(
    key=VirtualKey(id="shared-key", requests_per_minute=30),
    route_id="chat",
    provider_id="openai-main",
    provider_type="openai",
    model="flat",
    estimated_prompt_tokens=1000,
    max_tokens=1000,
)


async def _attempt(call: Any) -> bool:
    try:
        await call
    except LimitExceeded:
        return False
    return True


async def _reserve_later(limiter: BudgetLimiter, delay: float) -> Reservation:
    await asyncio.sleep(delay)
    return await limiter.reserve(CTX)


async def budget(limiter: BudgetLimiter, n: int) -> dict[str, Any]:
    # Spread the calls over 200 ms so that the two replicas' reservations interleave in Valkey.
    delays = [random.uniform(0, 0.2) for _ in range(n)]
    results = await asyncio.gather(*(_reserve_later(limiter, d) for d in delays), return_exceptions=True)
    admitted = [r for r in results if not isinstance(r, BaseException)]
    # Settle only once every replica has finished reserving: a settle frees the difference between the
    # hold and the actual cost, which would (correctly) admit more than 50 and make the count racy.
    print(json.dumps({"reserved": len(admitted)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    errors = {
        type(r).__name__ for r in results if isinstance(r, BaseException) and not isinstance(r, LimitExceeded)
    }
    actual = Usage(prompt_tokens=1000, completion_tokens=700)
    costs = await asyncio.gather(*(limiter.settle(r, CTX, actual) for r in admitted))
    return {"admitted": len(admitted), "settled_usd": sum(c or 0.0 for c in costs), "errors": sorted(errors)}


async def rate(limiter: BudgetLimiter, n: int) -> dict[str, Any]:
    results = await asyncio.gather(*(_attempt(limiter.admit_request(CTX)) for _ in range(n)))
    return {"admitted": sum(results)}


async def hold(limiter: BudgetLimiter, n: int) -> dict[str, Any]:
    reservation = await limiter.reserve(CTX)
    print(json.dumps({"holding": reservation.id}), flush=True)
    await asyncio.sleep(3600)  # until killed: a request that died mid-call
    return {}


async def main(spec: dict[str, Any]) -> None:
    client = Valkey.from_url(spec["url"], socket_timeout=5, socket_connect_timeout=5)
    budgets = (
        BudgetSpec(id="team", scope=ScopeSpec(kind="global"), limit_usd=spec["limit_usd"], source=SRC),
    )
    config = LimiterConfig(key_prefix=spec["prefix"], lease_s=spec.get("lease_s", 600.0))
    limiter = BudgetLimiter(
        budgets=budgets, costs=CostCalculator(PRICES), store=ValkeyStore(client), config=config
    )
    await client.ping()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    scenario = {"budget": budget, "rate": rate, "hold": hold}[spec["scenario"]]
    outcome = await scenario(limiter, spec["n"])
    await client.aclose()
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
