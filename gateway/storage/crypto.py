"""Provider credentials at rest: Fernet encryption with key rotation (MultiFernet).

`GW_ENCRYPTION_KEY` holds one or more url-safe base64 Fernet keys separated by commas, newest first.
Encryption always uses the first; decryption tries each. To rotate: prepend a new key, run
`gw keys rotate-encryption` (re-encrypts every row with the first key), then drop the old key.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["CredentialCipher", "EncryptionKeyError", "generate_encryption_key"]


class EncryptionKeyError(RuntimeError):
    """`GW_ENCRYPTION_KEY` is missing or malformed, or no configured key opens a stored credential."""


def generate_encryption_key() -> str:
    """A fresh Fernet key, for `GW_ENCRYPTION_KEY`."""
    return Fernet.generate_key().decode("ascii")


class CredentialCipher:
    """Encrypts and decrypts provider secrets; never logs or echoes them."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise EncryptionKeyError(
                "GW_ENCRYPTION_KEY is not set: generate one with `gw keys gen-encryption-key`"
            )
        fernets: list[Fernet] = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                # The key itself must not reach the message: say which one, not what it is.
                raise EncryptionKeyError(
                    f"GW_ENCRYPTION_KEY entry {position} is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes)"
                ) from None
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> CredentialCipher:
        """Build from `GW_ENCRYPTION_KEY` (comma-separated, newest first)."""
        env = os.environ if environ is None else environ
        raw = env.get("GW_ENCRYPTION_KEY", "")
        return cls([part.strip() for part in raw.split(",") if part.strip()])

    def encrypt(self, secret: str) -> bytes:
        """Encrypt with the newest key."""
        return self._fernet.encrypt(secret.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        """Decrypt with whichever configured key opens it."""
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise EncryptionKeyError(
                "a stored credential cannot be decrypted with any key in GW_ENCRYPTION_KEY "
                "(was a retired key removed before `gw keys rotate-encryption` ran?)"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a token under the newest key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise EncryptionKeyError(
                "a stored credential cannot be decrypted with any key in GW_ENCRYPTION_KEY"
            ) from None
