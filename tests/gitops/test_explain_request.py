"""`gw explain ROUTE --request`: the decision path of one request, as the executor takes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli.main import main
from tests.gitops.conftest import CONFIGS

_BODY = {"messages": [{"role": "user", "content": "My order never arrived"}], "max_tokens": 300}


def _explain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], route: str, *extra: str, body: object = None
) -> tuple[int, str, str]:
    request = tmp_path / "req.json"
    request.write_text(json.dumps(_BODY if body is None else body))
    code = main(["explain", route, str(CONFIGS), "--request", str(request), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_nested_route_shows_condition_fallback_and_draw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _explain(
        tmp_path,
        capsys,
        "triage",
        "--metadata",
        "tier=enterprise",
        "--simulate",
        "primary=503",
        "--seed",
        "3",
    )
    assert code == 0
    lines = out.splitlines()
    assert 'condition 1 holds: metadata.tier $eq "enterprise"' in out
    assert "tries in order: `primary` → `spread`; moves on after upstream 429,500,502,503,504" in out
    calls = [line.strip() for line in lines if line.strip().startswith(("call:", "retry 1:"))]
    assert calls == [
        "call: model gpt-4o, timeout 20000 ms → 503",
        "retry 1: model gpt-4o, timeout 20000 ms → 503",
        "call: model claude-sonnet-4-5, timeout 60000 ms → 200",
    ]
    assert "weights: anthropic 75%, azure_eu 25%" in out
    assert "config.targets[0].targets[1].targets[1]: azure_eu — not chosen" in out
    assert "config.targets[1]: `standard` — not chosen" in out
    assert "result: 200 from config.targets[0].targets[1].targets[0] (anthropic)" in out
    assert "input no_secrets, polite → pass" in out
    assert "reserved $" in out and "on `triage_daily` ($2 daily, deny)" in out


def test_default_branch_without_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _explain(tmp_path, capsys, "triage")
    assert code == 0
    assert "no condition holds → default [1] `standard`" in out
    assert "config.targets[0]: `premium` — not chosen" in out


def test_guardrail_verdict_runs_the_real_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = {"messages": [{"role": "user", "content": "use AKIAIOSFODNN7EXAMPLE"}]}
    code, out, _ = _explain(tmp_path, capsys, "chat", body=body)
    assert code == 0  # explaining a refusal is not an error
    assert "input no_secrets → deny" in out
    assert "result: 446" in out
    assert "no call" in out


def test_cache_eligibility_and_retry_waits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _explain(tmp_path, capsys, "chat", "--simulate", "openai=429/200")
    assert code == 0
    assert "retry 2× on 429,500,502,503,504, cache simple" in out
    assert "cache: MISS" in out
    assert "x-portkey-retry-attempt-count 1" in out
    assert "config.targets[1]: anthropic — not needed" in out


def test_budget_refusal_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5_000_000}
    code, out, _ = _explain(tmp_path, capsys, "triage", body=body)
    assert code == 0
    assert "result: 429" in out
    assert "refused:" in out and "triage_daily" in out


def test_timeout_simulation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _explain(tmp_path, capsys, "chat", "--simulate", "openai=timeout")
    assert "timeout 30000 ms → 408" in out
    assert "result: 408" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--simulate", "opena=429"], "--simulate: unknown target `opena`"),
        (["--simulate", "openai=abc"], "expected a status (100-599) or `timeout`"),
        (["--metadata", "novalue"], "--metadata: expected KEY=VALUE"),
    ],
)
def test_bad_arguments_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = _explain(tmp_path, capsys, "chat", *args)
    assert code == 2
    assert message in err


def test_request_must_be_a_json_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _explain(tmp_path, capsys, "chat", body=[1, 2])
    assert code == 2
    assert "must hold a JSON object" in err
    (tmp_path / "bad.json").write_text("{nope")
    assert main(["explain", "chat", str(CONFIGS), "--request", str(tmp_path / "bad.json")]) == 2
    assert "is not valid JSON" in capsys.readouterr().err


def test_embeddings_endpoint_and_body_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = {"input": ["a", "b"]}
    code, out, _ = _explain(tmp_path, capsys, "embeddings", "--endpoint", "embeddings", body=body)
    assert code == 0
    assert "call: model text-embedding-3-small" in out
    _, out, _ = _explain(tmp_path, capsys, "embeddings", body=body)  # as a chat request: no messages
    assert "result: 400\n   missing_required_parameter: `messages` is required" in out
    assert "     call:" not in out
