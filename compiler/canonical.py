"""Canonical JSON text: the form in which open-ended values (params, queries) enter Specs."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["canonical_json"]

_ENCODER = msgspec.json.Encoder(order="sorted")


def canonical_json(value: Any) -> str:  # Any: arbitrary JSON value from a manifest or header
    """Encode a JSON value with sorted keys and no whitespace, so equal meaning gives equal text."""
    return _ENCODER.encode(value).decode()
