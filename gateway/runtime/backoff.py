"""Retry waits: exponential backoff with full jitter, and Retry-After honoured up to a cap."""

from __future__ import annotations

import random

from compiler.specs import RetrySpec

__all__ = ["retry_wait_s"]


def retry_wait_s(
    retry: RetrySpec, attempt: int, retry_after_s: float | None, *, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait before retry number `attempt + 1`, or None when the wait exceeds the cap.

    With `use_retry_after_header` and a Retry-After from the upstream, that wait is used as is
    (a longer one than `max_retry_after_ms` means: do not retry, fail over instead). Otherwise the
    wait is uniform in [0, min(max, base·2^attempt)] (full jitter), or exactly that bound without jitter.
    """
    if retry.use_retry_after_header and retry_after_s is not None:
        if retry_after_s * 1000.0 > retry.max_retry_after_ms:
            return None
        return retry_after_s
    bound_ms = min(float(retry.backoff_max_ms), retry.backoff_base_ms * (2.0**attempt))
    if not retry.jitter:
        return bound_ms / 1000.0
    # Jitter spreads retries; it is not a security use of randomness.
    return (rng or random).uniform(0.0, bound_ms) / 1000.0
