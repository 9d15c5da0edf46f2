"""`gw db`, `gw keys` and `gw usage` through their argparse registration, against a real SQLite file."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from pathlib import Path

import pytest

from gateway.cli import db, keys, usage
from gateway.ports import UsageRecord
from gateway.storage.crypto import generate_encryption_key
from gateway.storage.database import make_async_engine
from gateway.storage.ledger import LedgerSink
from gateway.storage.reports import usage_report
from gateway.usage import Usage


def gw(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gw")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (db, keys, usage):
        module.register(commands)
    args = parser.parse_args(argv)
    return int(args.handler(args))


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_db_upgrade_then_check_then_upgrade_again(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert gw("db", "check", "--database-url", url) == 1
    assert "run `gw db upgrade`" in capsys.readouterr().err
    assert gw("db", "upgrade", "--database-url", url) == 0
    assert "upgraded from empty to revision 0001" in capsys.readouterr().out
    assert gw("db", "check", "--database-url", url) == 0
    assert gw("db", "upgrade", "--database-url", url) == 0
    assert "already at revision 0001" in capsys.readouterr().out
    assert gw("db", "current", "--database-url", url) == 0
    assert "current: 0001" in capsys.readouterr().out


def test_db_url_defaults_to_the_environment(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GW_DATABASE_URL", url)
    assert gw("db", "upgrade") == 0
    assert "cli.db" in capsys.readouterr().out


def test_keys_commands_refuse_an_unmigrated_database(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert gw("keys", "list", "--database-url", url) == 1
    assert "gw db upgrade" in capsys.readouterr().err


def test_key_lifecycle_prints_the_secret_once(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    gw("db", "upgrade", "--database-url", url)
    capsys.readouterr()
    assert gw("keys", "create", "--name", "ci", "--tag", "prod", "--meta", "team=ml", "--rpm", "60",
              "--expires", "30d", "--format", "json", "--database-url", url) == 0  # fmt: skip
    out = capsys.readouterr()
    created = json.loads(out.out)
    secret, key_id = created["secret"], created["key"]["id"]
    assert secret.startswith("gw-") and "cannot be shown again" in out.err
    assert created["key"]["metadata"] == {"team": "ml"} and created["key"]["requests_per_minute"] == 60

    assert gw("keys", "list", "--database-url", url) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and created["key"]["prefix"] in listing and secret not in listing

    assert gw("keys", "rotate", key_id, "--format", "secret", "--database-url", url) == 0
    new_secret = capsys.readouterr().out.strip()
    assert new_secret.startswith("gw-") and new_secret != secret

    assert gw("keys", "revoke", key_id, "--format", "json", "--database-url", url) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "revoked"
    assert gw("keys", "list", "--database-url", url) == 0
    assert key_id not in capsys.readouterr().out
    assert gw("keys", "list", "--all", "--format", "json", "--database-url", url) == 0
    assert [k["state"] for k in json.loads(capsys.readouterr().out)] == ["revoked"]

    assert gw("keys", "show", "key_nope", "--database-url", url) == 1
    assert "no virtual key with id 'key_nope'" in capsys.readouterr().err


def test_credentials_come_from_env_or_stdin_and_survive_key_rotation(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = generate_encryption_key(), generate_encryption_key()
    monkeypatch.setenv("GW_ENCRYPTION_KEY", old)
    monkeypatch.setenv("OPENAI_SECRET", "sk-from-env-123")
    gw("db", "upgrade", "--database-url", url)
    assert gw("keys", "set-credential", "global", "--provider", "openai", "--from-env", "OPENAI_SECRET",
              "--database-url", url) == 0  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-from-stdin-456\n"))
    assert gw("keys", "set-credential", "global", "--provider", "anthropic", "--database-url", url) == 0
    assert "sk-from" not in capsys.readouterr().out
    monkeypatch.setenv("GW_ENCRYPTION_KEY", f"{new},{old}")
    assert gw("keys", "rotate-encryption", "--database-url", url) == 0
    assert "re-encrypted 2 credential(s)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert gw("keys", "set-credential", "global", "--provider", "x", "--database-url", url) == 1
    assert "no credential given" in capsys.readouterr().err


def test_gen_encryption_key_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.storage.crypto import CredentialCipher

    assert gw("keys", "gen-encryption-key") == 0
    CredentialCipher([capsys.readouterr().out.strip()])


def test_usage_report_prints_the_same_numbers_as_the_query_function(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gw("db", "upgrade", "--database-url", url)

    async def seed_and_query() -> dict[str, object]:
        engine = make_async_engine(url)
        sink = LedgerSink(engine, tmp_path / "spool.jsonl")
        for n, model in enumerate(["gpt-4o", "gpt-4o", "claude-sonnet-4", "unpriced-model"]):
            sink.record(
                UsageRecord(
                    trace_id=f"t{n}",
                    ts=1_795_000_000.0 + n,
                    key_id="key_a",
                    model=model,
                    usage=Usage(prompt_tokens=10 * (n + 1), completion_tokens=5),
                    cost_usd=None if model == "unpriced-model" else 0.002 * (n + 1),
                )
            )
        await sink.aclose()
        report = await usage_report(engine, group_by="model")
        await engine.dispose()
        import msgspec

        return json.loads(msgspec.json.encode(report))

    expected = asyncio.run(seed_and_query())
    capsys.readouterr()
    assert gw("usage", "report", "--group-by", "model", "--format", "json", "--database-url", url) == 0
    assert json.loads(capsys.readouterr().out) == expected
    assert gw("usage", "report", "--group-by", "model", "--since", "2020-01-01", "--database-url", url) == 0
    table = capsys.readouterr().out
    assert "gpt-4o" in table and "TOTAL" in table and "1 request(s) had no price" in table
    assert gw("usage", "report", "--since", "yesterday-ish", "--database-url", url) == 1
    assert "use e.g. `7d`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "message"),
    [(("--meta", "no-equals"), "--meta takes KEY=VALUE"), (("--expires", "whenever"), "use e.g. `7d`")],
)
def test_bad_create_options_fail_with_a_message(
    url: str, capsys: pytest.CaptureFixture[str], option: tuple[str, str], message: str
) -> None:
    gw("db", "upgrade", "--database-url", url)
    assert gw("keys", "create", "--name", "x", *option, "--database-url", url) == 1
    assert message in capsys.readouterr().err


def test_the_gw_entry_point_reaches_the_storage_commands(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from gateway.cli.main import main

    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert main(["keys", "create", "--name", "e2e", "--format", "secret", "--database-url", url]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("gw-")
    assert main(["usage", "report", "--format", "json", "--database-url", url]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["requests"] == 0
