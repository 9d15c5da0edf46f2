"""Money as integer nanodollars (1e-9 USD): counters add and compare exactly, in Python and in Lua.

Floats drift (`0.1 + 0.2 > 0.3`), which at a budget boundary turns "exactly 50 admitted" into 49 or 51.
Every counter therefore holds integers; Lua's doubles represent them exactly up to 2**53 nanodollars
(about 9 million USD per counter).
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["NANOS_PER_USD", "from_nanos", "to_nanos", "to_nanos_ceil"]

NANOS_PER_USD = 1_000_000_000


def to_nanos(usd: float) -> int:
    """Convert a configured USD amount (a limit, a default reservation) to the nearest nanodollar."""
    return round(Decimal(repr(usd)) * NANOS_PER_USD)


def to_nanos_ceil(usd: Decimal) -> int:
    """Convert a computed cost to nanodollars, rounding up so that spend is never under-counted."""
    return math.ceil(usd * NANOS_PER_USD)


def from_nanos(nanos: int) -> float:
    """Convert nanodollars back to USD for reporting."""
    return nanos / NANOS_PER_USD
