"""Every default parameter a prompt manifest may set can also be overridden per request."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.http.prompts import OVERRIDABLE_PARAMS

SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "prompt.schema.json"


def test_manifest_params_are_all_overridable() -> None:
    params = json.loads(SCHEMA.read_text("utf-8"))["properties"]["params"]["properties"]
    assert set(params) <= OVERRIDABLE_PARAMS
