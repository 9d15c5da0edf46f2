"""Provider credentials: encrypted at rest, per key with a global fallback, re-encrypted on rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import NotFound
from gateway.storage.credentials import CredentialStore
from gateway.storage.crypto import CredentialCipher, EncryptionKeyError, generate_encryption_key
from gateway.storage.key_records import NewKey
from gateway.storage.keys import KeyService

SECRET = "sk-proj-TESTSECRET-0123456789abcdef"


async def test_credential_is_encrypted_at_rest_and_decrypts_on_read(engine: AsyncEngine) -> None:
    cipher = CredentialCipher([generate_encryption_key()])
    key = (await KeyService(engine).create(NewKey(name="a"))).key
    store = CredentialStore(engine, cipher)
    await store.put(key.id, "openai", SECRET)
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT ciphertext FROM provider_credentials"))).scalar_one()
    assert SECRET.encode() not in bytes(stored)
    assert await store.get(key.id, "openai") == SECRET


async def test_key_without_its_own_credential_falls_back_to_the_global_one(engine: AsyncEngine) -> None:
    store = CredentialStore(engine, CredentialCipher([generate_encryption_key()]))
    key = (await KeyService(engine).create(NewKey(name="a"))).key
    await store.put(None, "openai", "global-secret")
    assert await store.get(key.id, "openai") == "global-secret"
    await store.put(key.id, "openai", "own-secret")
    assert await store.get(key.id, "openai") == "own-secret"
    assert await store.get(key.id, "anthropic") is None
    listed = await store.list_for(key.id)
    assert [c.provider_id for c in listed] == ["openai"]


async def test_putting_again_replaces_rather_than_duplicates(engine: AsyncEngine) -> None:
    store = CredentialStore(engine, CredentialCipher([generate_encryption_key()]))
    key = (await KeyService(engine).create(NewKey(name="a"))).key
    await store.put(key.id, "openai", "one")
    await store.put(key.id, "openai", "two")
    assert await store.get(key.id, "openai") == "two"
    assert len(await store.list_for(key.id)) == 1
    assert await store.delete(key.id, "openai") is True
    assert await store.get(key.id, "openai") is None


async def test_credential_for_a_missing_key_is_refused(engine: AsyncEngine) -> None:
    store = CredentialStore(engine, CredentialCipher([generate_encryption_key()]))
    with pytest.raises(NotFound):
        await store.put("key_nope", "openai", SECRET)


async def test_rotating_the_encryption_key_keeps_credentials_readable(engine: AsyncEngine) -> None:
    old, new = generate_encryption_key(), generate_encryption_key()
    key = (await KeyService(engine).create(NewKey(name="a"))).key
    await CredentialStore(engine, CredentialCipher([old])).put(key.id, "openai", SECRET)
    await CredentialStore(engine, CredentialCipher([old])).put(None, "anthropic", "ant-secret")
    count = await CredentialStore(engine, CredentialCipher([new, old])).rotate_encryption()
    assert count == 2
    only_new = CredentialStore(engine, CredentialCipher([new]))
    assert await only_new.get(key.id, "openai") == SECRET
    assert await only_new.get(None, "anthropic") == "ant-secret"
    with pytest.raises(EncryptionKeyError, match="cannot be decrypted"):
        await CredentialStore(engine, CredentialCipher([old])).get(key.id, "openai")


def test_cipher_from_env_reads_comma_separated_keys_newest_first() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = CredentialCipher([old]).encrypt("x")
    cipher = CredentialCipher.from_env({"GW_ENCRYPTION_KEY": f" {new} , {old}"})
    assert cipher.decrypt(token) == "x"
    assert CredentialCipher([new]).decrypt(cipher.encrypt("y")) == "y"


def test_missing_encryption_key_says_how_to_make_one() -> None:
    with pytest.raises(EncryptionKeyError, match="GW_ENCRYPTION_KEY is not set"):
        CredentialCipher.from_env({})


def test_malformed_encryption_key_is_named_by_position_not_echoed() -> None:
    bad = "not-a-fernet-key-but-a-secret-value"
    with pytest.raises(EncryptionKeyError) as info:
        CredentialCipher.from_env({"GW_ENCRYPTION_KEY": f"{generate_encryption_key()},{bad}"})
    assert "entry 2" in str(info.value)
    assert bad not in str(info.value)
