"""The parameter rule shared by translating adapters: translate, refuse, drop-and-report or pass."""

from __future__ import annotations

import pytest

from gateway.errors import RequestError
from gateway.providers.compliance import DROPPED_HEADER, plan_params

BODY = {"model": "m", "messages": [], "seed": 1, "top_k": 3, "user": None}


def test_strict_drops_untranslated_parameters_sorted_and_ignores_nulls() -> None:
    plan = plan_params(BODY, provider="p", translated=["model", "messages"], strict=True)
    assert plan.dropped == ("seed", "top_k")
    assert plan.passthrough == ()
    assert plan.headers() == {DROPPED_HEADER: "seed,top_k"}


def test_lenient_passes_untranslated_parameters_through() -> None:
    plan = plan_params(BODY, provider="p", translated=["model", "messages"], strict=False)
    assert plan.passthrough == (("seed", 1), ("top_k", 3))
    assert plan.headers() == {}


def test_refusal_names_the_parameter_and_the_provider() -> None:
    refused = {"n": lambda v: None if v == 1 else "one choice only"}
    with pytest.raises(RequestError) as info:
        plan_params({"n": 3}, provider="anthropic", translated=["n"], refused=refused, strict=False)
    assert info.value.param == "n"
    assert info.value.message == "anthropic cannot honour `n`: one choice only"


def test_acceptable_values_of_refusable_parameters_pass() -> None:
    refused = {"n": lambda v: None if v == 1 else "one choice only"}
    plan = plan_params({"n": 1}, provider="p", translated=["n"], refused=refused, strict=True)
    assert plan.dropped == ()
