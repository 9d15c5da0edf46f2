"""No secret reaches a log line, whatever field or message carries it; prompts only when policy says."""

from __future__ import annotations

import logging

import pytest

from gateway.telemetry import Redactor, Telemetry, redact_pii
from gateway.telemetry.redaction import MASK
from gateway.usage import Usage
from tests.gateway.telemetry.conftest import LogCapture, compiled_gateway

SECRETS = (
    "sk-proj-Abcdefghijklmnop1234567890QRSTuv",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123",
    "gw-live-0123456789abcdefghijkl",
    "AKIAIOSFODNN7EXAMPLE",
    "AIzaSyA1234567890abcdefghijklmnopqrstu",
    "gsk_abcdefghijklmnopqrstuvwxyz0123456789",
    "xai-0123456789abcdefghijklmnop",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "Q2hhbmdlTWVQbGVhc2UxMjM0NTY3ODkwYWJjZGVm",
    "resolved-openai-secret-value-123",
    "anthropic-resolved-secret-456",
)


@pytest.mark.parametrize("secret", SECRETS)
def test_secret_in_any_field_or_message_is_masked(logs: LogCapture, secret: str) -> None:
    logs.logger.info(
        "upstream said: invalid key %s",
        secret,
        extra={"gw": {"detail": f"key={secret}", "nested": {"list": [secret]}, "authorization": "x"}},
    )
    assert secret not in logs.text
    (line,) = logs.events()
    assert MASK in line["event"] and MASK in line["detail"] and line["nested"]["list"] == [MASK]


def test_credential_named_fields_are_masked_whatever_their_value(logs: LogCapture) -> None:
    fields = {"headers": {"Authorization": "short", "x-api-key": "plain words", "x-portkey-api-key": "k"}}
    logs.logger.info("call", extra={"gw": {**fields, "client_secret": "hunter2"}})
    (line,) = logs.events()
    assert set(line["headers"].values()) == {MASK}
    assert line["client_secret"] == MASK


def test_bearer_token_in_exception_text_is_masked(logs: LogCapture) -> None:
    try:
        raise ValueError("Authorization: Bearer abc.def-ghi rejected")
    except ValueError:
        logs.logger.exception("upstream failed")
    (line,) = logs.events()
    assert "abc.def-ghi" not in line["exc"]
    assert "Bearer ***" in line["exc"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://gw:hunter2@postgres:5432/gw", "postgresql://gw:***@postgres:5432/gw"),
        ("redis://:s3cret-pw@valkey:6379/0", "redis://:***@valkey:6379/0"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***"),
        ("https://api.openai.com/v1/chat/completions", "https://api.openai.com/v1/chat/completions"),
    ],
)
def test_url_passwords_and_basic_auth_are_masked(logs: LogCapture, text: str, expected: str) -> None:
    logs.logger.info(text)
    assert logs.events()[0]["event"] == expected


def test_trace_ids_hashes_and_paths_stay_readable(logs: LogCapture) -> None:
    readable = {
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "config_hash": "sha256:" + "0123456789abcdef" * 2,
        "target_path": "config.targets[1].targets[0]",
        "route": "chat_with_a_really_long_route_name_for_testing",
    }
    logs.logger.info("request", extra={"gw": readable})
    (line,) = logs.events()
    assert {k: line[k] for k in readable} == readable


def test_registered_secret_is_masked_even_without_a_known_shape() -> None:
    redactor = Redactor()
    redactor.add_secret("correct horse battery staple")
    assert redactor.redact('{"msg":"key correct horse battery staple"}') == '{"msg":"key ***"}'


def test_request_event_with_secrets_everywhere_leaks_none(telemetry: Telemetry, logs: LogCapture) -> None:
    """The no-secret scan: every secret pushed through every facade entry point, none in the output."""
    for i, secret in enumerate(SECRETS):
        rt = telemetry.request_started(
            trace_id=f"t{i}",
            route=secret,
            source=secret,
            model=secret,
            key_id=secret,
            headers={"traceparent": secret},
        )
        with rt.stage("cache"):
            rt.cache_checked("simple", secret)
        rt.attempt_started(path=secret, provider=secret, provider_type="openai", model=secret, headers={})
        rt.attempt_finished(status=401, error=f"invalid api key {secret}")
        rt.guardrail_checked(secret, "input", "pass")
        rt.request_finished(status=401, error=secret, usage=Usage(), prompt=secret, completion=secret)
        telemetry.config_reloaded(old_hash="a", new_hash="b", ok=False, diagnostics=[f"secret {secret}"])
        telemetry.dependency_changed("valkey", False, detail=f"redis://:{secret}@valkey:6379")
    telemetry.bind(compiled_gateway(log_prompts=True))
    rt = telemetry.request_started(trace_id="p", route="chat")
    rt.request_finished(status=200, prompt=[{"role": "user", "content": f"my key is {SECRETS[0]}"}])
    assert len(logs.events()) == 3 * len(SECRETS) + 1
    leaked = [s for s in SECRETS if s in logs.text]
    assert leaked == []
    metrics_text = telemetry.render_metrics()[0].decode()
    assert [s for s in SECRETS if s in metrics_text] == []


def test_prompts_are_not_logged_unless_policy_turns_them_on(telemetry: Telemetry, logs: LogCapture) -> None:
    rt = telemetry.request_started(trace_id="t", route="chat")
    rt.request_finished(status=200, prompt=[{"role": "user", "content": "hi"}], completion="hello")
    (line,) = logs.events("request")
    assert "prompt" not in line and "completion" not in line


def test_logged_prompts_pass_through_the_pii_redactor(telemetry: Telemetry, logs: LogCapture) -> None:
    telemetry.bind(compiled_gateway(log_prompts=True))
    rt = telemetry.request_started(trace_id="t", route="chat")
    prompt = [{"role": "user", "content": "mail jane.doe@example.com or call +1 415 555 0100"}]
    rt.request_finished(status=200, prompt=prompt, completion="card 4111 1111 1111 1111 noted")
    (line,) = logs.events("request")
    assert line["prompt"] == [{"role": "user", "content": "mail [EMAIL] or call [PHONE]"}]
    assert line["completion"] == "card [CARD] noted"


def test_pii_redactor_is_pluggable(telemetry: Telemetry, logs: LogCapture) -> None:
    telemetry.bind(compiled_gateway(log_prompts=True))
    telemetry.pii_redactor = lambda text: text.replace("Jane", "[NAME]")
    rt = telemetry.request_started(trace_id="t", route="chat")
    rt.request_finished(status=200, prompt="Jane asked", completion=None)
    assert logs.events("request")[0]["prompt"] == "[NAME] asked"


def test_default_pii_redactor_masks_common_personal_data() -> None:
    text = "ssn 123-45-6789, ip 10.1.2.3, mail a.b@c.io"
    assert redact_pii(text) == "ssn [SSN], ip [IP], mail [EMAIL]"


def test_lifecycle_events_are_written(telemetry: Telemetry, logs: LogCapture) -> None:
    telemetry.started(version="0.1.0", listen="0.0.0.0:8787", config_hash="sha256:1")
    telemetry.config_reloaded(old_hash="sha256:1", new_hash="sha256:2", ok=True)
    telemetry.dependency_changed("postgres", False, detail="connection refused")
    start, reload, dep = logs.events()
    assert start["event"] == "start" and start["listen"] == "0.0.0.0:8787"
    assert (reload["old_hash"], reload["new_hash"], reload["diagnostics"]) == ("sha256:1", "sha256:2", [])
    assert dep["level"] == "warning" and dep["up"] is False


def test_disabled_level_skips_building_the_request_event(telemetry: Telemetry, logs: LogCapture) -> None:
    logs.logger.setLevel(logging.WARNING)
    rt = telemetry.request_started(trace_id="t", route="chat")
    rt.request_finished(status=200)
    assert logs.text == ""


def test_values_json_cannot_encode_are_written_as_text(logs: LogCapture) -> None:
    from pathlib import PurePosixPath

    logs.logger.info(
        "loaded", extra={"gw": {"path": PurePosixPath("/etc/gw/configs"), "err": ValueError("bad")}}
    )
    (line,) = logs.events()
    assert (line["path"], line["err"]) == ("/etc/gw/configs", "bad")


def test_secret_inside_a_value_json_cannot_encode_is_masked(logs: LogCapture) -> None:
    secret = SECRETS[0]
    logs.logger.info("failed", extra={"gw": {"err": ValueError(f"rejected {secret}"), "route": "chat"}})
    (line,) = logs.events()
    assert secret not in logs.text
    assert (line["err"], line["route"]) == (f"rejected {MASK}", "chat")


def test_credential_field_embedded_in_message_text_is_masked(logs: LogCapture) -> None:
    logs.logger.warning('upstream body: {"api_key": "plain words", "model": "m"}')
    (line,) = logs.events()
    assert "plain words" not in line["event"] and '"model": "m"' in line["event"]


def test_secret_registered_after_a_value_was_logged_is_masked_from_then_on(
    logs: LogCapture, redactor: Redactor
) -> None:
    logs.logger.info("first", extra={"gw": {"detail": "late-registered-value"}})
    redactor.add_secret("late-registered-value")
    logs.logger.info("second", extra={"gw": {"detail": "late-registered-value"}})
    first, second = logs.events()
    assert (first["detail"], second["detail"]) == ("late-registered-value", MASK)


def test_lower_case_ids_stay_readable_but_a_registered_secret_inside_one_is_masked() -> None:
    secret = "deadbeefcafe0123456789"
    redactor = Redactor([secret])
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    masked = redactor.redact_fields({"trace_id": trace_id, "otel_trace_id": f"00{secret}ff"})
    assert masked == {"trace_id": trace_id, "otel_trace_id": f"00{MASK}ff"}
