"""`gw keys create|list|show|rotate|revoke` and provider credentials (`set-credential`, `rotate-encryption`).

A new or rotated secret is printed once, on stdout alone (so `gw keys create … > file` captures just
it with `--format secret`), with a reminder on stderr. Provider secrets are read from an environment
variable or stdin, never from the command line where `ps` and shell history would keep them.
Importing this module is cheap: storage code loads when a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gateway.cli.db import EXIT_OK, add_url_option, fail, run_storage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from gateway.storage.key_records import CreatedKey, KeyInfo, NewKey

__all__ = ["register"]

_COLUMNS = ("id", "name", "prefix", "state", "tags", "expires_at", "budget_usd")


def _json(value: Any) -> None:  # Any: any msgspec-encodable value
    import msgspec

    sys.stdout.write(msgspec.json.format(msgspec.json.encode(value)).decode() + "\n")


def _cell(info: KeyInfo, column: str) -> str:
    value = getattr(info, column)
    if isinstance(value, list):
        return ",".join(value) or "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "-" if value is None else str(value)


def _table(infos: list[KeyInfo]) -> None:
    rows = [list(_COLUMNS)] + [[_cell(i, c) for c in _COLUMNS] for i in infos]
    widths = [max(len(r[n]) for r in rows) for n in range(len(_COLUMNS))]
    for row in rows:
        sys.stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def _show_created(args: argparse.Namespace, created: CreatedKey) -> int:
    if args.format == "json":
        _json(created)
    elif args.format == "secret":
        sys.stdout.write(created.secret + "\n")
    else:
        _table([created.key])
        sys.stdout.write(f"\nsecret: {created.secret}\n")
    sys.stderr.write("gw: store this secret now: it is not kept and cannot be shown again\n")
    return EXIT_OK


def _show(args: argparse.Namespace, infos: list[KeyInfo]) -> int:
    if args.format == "json":
        _json(infos if args.keys_command == "list" else infos[0])
    else:
        _table(infos)
    return EXIT_OK


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    from gateway.storage.reports import parse_duration, parse_since

    ahead = parse_duration(text)
    return datetime.now(UTC) + ahead if ahead is not None else parse_since(text)


def _new_key(args: argparse.Namespace) -> NewKey:
    """The key `create` asks for; ValueError or RequestError on a bad option."""
    from gateway.storage.key_records import NewKey

    metadata = {}
    for item in args.meta:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--meta takes KEY=VALUE, got {item!r}")
        metadata[name] = value
    return NewKey(
        name=args.name,
        tags=args.tag,
        metadata=metadata,
        allowed_routes=args.route,
        allowed_models=args.model,
        requests_per_minute=args.rpm,
        tokens_per_minute=args.tpm,
        budget_usd=args.budget,
        budget_period=args.budget_period,
        expires_at=_expiry(args.expires),
    )


def _run(args: argparse.Namespace) -> int:
    from gateway.errors import GatewayError
    from gateway.storage.keys import KeyService

    try:
        new = _new_key(args) if args.keys_command == "create" else None
    except ValueError as exc:
        return fail(str(exc))
    except GatewayError as exc:
        return fail(exc.message)

    async def work(engine: AsyncEngine) -> int:
        service = KeyService(engine)
        command = args.keys_command
        if new is not None:
            return _show_created(args, await service.create(new))
        if command == "rotate":
            return _show_created(args, await service.rotate(args.key_id))
        if command == "list":
            return _show(args, await service.list_keys(include_inactive=args.all))
        if command == "show":
            return _show(args, [await service.show(args.key_id)])
        return _show(args, [await service.revoke(args.key_id)])

    return int(run_storage(args, work))


def _read_secret(args: argparse.Namespace) -> str | None:
    if args.from_env:
        return os.environ.get(args.from_env)
    return sys.stdin.readline().strip()


def _credentials(args: argparse.Namespace) -> int:
    from gateway.storage.credentials import CredentialStore
    from gateway.storage.crypto import CredentialCipher

    secret = _read_secret(args) if args.keys_command == "set-credential" else None
    if args.keys_command == "set-credential" and not secret:
        return fail("no credential given: pass --from-env VAR or pipe it on stdin")

    async def work(engine: AsyncEngine) -> int:
        store = CredentialStore(engine, CredentialCipher.from_env())
        if args.keys_command == "rotate-encryption":
            count = await store.rotate_encryption()
            sys.stdout.write(f"re-encrypted {count} credential(s) with the first key of GW_ENCRYPTION_KEY\n")
            return EXIT_OK
        key_id = None if args.key_id == "global" else args.key_id
        await store.put(key_id, args.provider, secret or "")
        sys.stdout.write(f"stored the {args.provider} credential for {args.key_id} (encrypted)\n")
        return EXIT_OK

    return int(run_storage(args, work))


def _gen_key(_args: argparse.Namespace) -> int:
    from gateway.storage.crypto import generate_encryption_key

    sys.stdout.write(generate_encryption_key() + "\n")
    return EXIT_OK


def _add_create_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="a name people recognise")
    parser.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    parser.add_argument(
        "--meta", action="append", default=[], metavar="KEY=VALUE", help="metadata (repeatable)"
    )
    parser.add_argument(
        "--route", action="append", default=[], help="allowed route (repeatable; default all)"
    )
    parser.add_argument(
        "--model", action="append", default=[], help="allowed model (repeatable; default all)"
    )
    parser.add_argument("--rpm", type=int, help="requests per minute")
    parser.add_argument("--tpm", type=int, help="tokens per minute")
    parser.add_argument("--budget", type=float, metavar="USD", help="spend limit per budget period")
    parser.add_argument("--budget-period", choices=("daily", "monthly", "total"), default="monthly")
    parser.add_argument("--expires", metavar="WHEN", help="`30d`, `12h` from now, or an ISO date/time")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gw keys …` to the top-level parser."""
    keys = subparsers.add_parser("keys", help="virtual keys and provider credentials")
    commands = keys.add_subparsers(dest="keys_command", metavar="COMMAND", required=True)
    create = commands.add_parser("create", help="create a key and print its secret once")
    _add_create_options(create)
    listing = commands.add_parser("list", help="list active keys")
    listing.add_argument("--all", action="store_true", help="include revoked and expired keys")
    by_id = {
        name: commands.add_parser(name, help=text)
        for name, text in (
            ("show", "show one key"),
            ("rotate", "give a key a new secret (printed once); the old one stops working"),
            ("revoke", "revoke a key for good"),
        )
    }
    for parser in by_id.values():
        parser.add_argument("key_id", help="key id (key_…)")
    for name, parser in [("create", create), ("list", listing), *by_id.items()]:
        choices = ("table", "json", "secret") if name in ("create", "rotate") else ("table", "json")
        parser.add_argument("--format", choices=choices, default="table")
        add_url_option(parser)
        parser.set_defaults(handler=_run)
    cred = commands.add_parser("set-credential", help="store a provider secret for a key, encrypted")
    cred.add_argument("key_id", help="key id, or `global` for every key without its own")
    cred.add_argument("--provider", required=True, help="provider id from the manifests")
    cred.add_argument("--from-env", metavar="VAR", help="read the secret from this variable (default: stdin)")
    rotate_enc = commands.add_parser("rotate-encryption", help="re-encrypt credentials with the newest key")
    for parser in (cred, rotate_enc):
        add_url_option(parser)
        parser.set_defaults(handler=_credentials)
    gen = commands.add_parser("gen-encryption-key", help="print a new key for GW_ENCRYPTION_KEY")
    gen.set_defaults(handler=_gen_key)
