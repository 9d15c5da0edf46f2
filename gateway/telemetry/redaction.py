"""Masking of secrets in log output, and the pluggable PII redaction applied to logged prompts.

Applied to every log line so that nothing escapes (message text, exception tracebacks and
third-party log records included). `Redactor.redact_fields` masks a record's JSON-shaped fields
before they are encoded: one pass over the string values (each distinct short value is checked once
and remembered, so the repeated route ids, paths and statuses of request lines cost a dict lookup),
key names checked once each; `Redactor.redact` masks encoded JSON text (used for values of other
types). What is masked:

- values of keys whose name says they hold a credential (`authorization`, `api_key`, `*_secret`, …);
- passwords in URLs (`postgresql://user:***@host/db`);
- any value that looks like a credential: bearer tokens, vendor key prefixes (`sk-`, `gw-`, `AKIA`,
  `AIza`, `gsk_`, `xai-`, …), long mixed-case alphanumeric runs, and every secret value the gateway
  resolved at link time (registered with `Redactor.add_secret`).

Prompts and completions are never logged unless the policy turns it on; then they first pass through
a `PiiRedactor` (a plain `str -> str` function, replaceable by the guardrails' PII detector).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

__all__ = ["MASK", "NOT_JSON", "PiiRedactor", "Redactor", "redact_pii"]

MASK = "***"

PiiRedactor = Callable[[str], str]
"""A function that replaces personal data in free text (prompts, completions) with placeholders."""

_KEY_WORDS = (
    "authorization", "api_key", "api-key", "apikey", "secret", "password", "passwd", "credential",
    "access_token", "access-token", "refresh_token", "refresh-token", "auth_token", "auth-token", "cookie",
)  # fmt: skip
_KEY_ALTERNATIVES = "|".join(map(re.escape, _KEY_WORDS))
_SENSITIVE_KEY = re.compile(
    r'"(?P<key>[^"\\:]{0,40}?(?:' + _KEY_ALTERNATIVES + r')[^"\\:]{0,40})"\s*:\s*"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)
# A field name holding a credential (as in `_SENSITIVE_KEY`, for names seen before encoding).
_SENSITIVE_NAME = re.compile(r'[^"\\:]{0,40}?(?:' + _KEY_ALTERNATIVES + r')[^"\\:]{0,40}', re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@\"]*:)[^/\s@\"]+@")
_BEARER = re.compile(r"(?i:\b(?P<scheme>bearer|basic)\s+)[^\s\"\\,;]+")
# Credentials are runs of token characters: find the runs with one cheap scan, then test only those.
_CANDIDATE = re.compile(r"[A-Za-z0-9_\-.]{12,}")
_SECRET_SHAPES = re.compile(
    "|".join(
        (
            r"\b(?:sk|pk|rk|gw|xai|sess)-[A-Za-z0-9_\-]{12,}",
            r"\bsk_(?:live|test)_[A-Za-z0-9]{12,}",
            r"\bgsk_[A-Za-z0-9]{20,}",
            r"\bAKIA[0-9A-Z]{16}\b",
            r"\bAIza[0-9A-Za-z_\-]{30,}",
            r"\bgh[pousr]_[A-Za-z0-9]{30,}",
            r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        )
    )
)
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-]{32,}")
_DIGIT = re.compile(r"[0-9]")


def _random_looking(run: str) -> bool:
    # A long run mixing upper case, lower case and digits is a random token. Trace ids and hashes are
    # lower-case hex and stay readable.
    return run != run.lower() and run != run.upper() and _DIGIT.search(run) is not None


def _mask_candidate(match: re.Match[str]) -> str:
    run = match.group()
    run = _SECRET_SHAPES.sub(MASK, run)
    if len(run) >= 32:
        run = _TOKEN_RUN.sub(lambda m: MASK if _random_looking(m.group()) else m.group(), run)
    return run


_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_CARD = re.compile(r"\b(?:\d[ \-]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w+])\+?\d{1,3}[ \-.]?\(?\d{2,4}\)?[ \-.]?\d{3,4}[ \-.]?\d{3,4}\b")
_US_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def redact_pii(text: str) -> str:
    """Replace e-mail addresses, card and phone numbers, SSNs and IPv4 addresses with placeholders."""
    text = _EMAIL.sub("[EMAIL]", text)
    text = _US_SSN.sub("[SSN]", text)
    text = _CARD.sub("[CARD]", text)
    text = _IPV4.sub("[IP]", text)
    return _PHONE.sub("[PHONE]", text)


NOT_JSON = object()
"""Returned by `Redactor.redact_fields` for a value holding something other than JSON types."""


class _NotJson(Exception):
    """A value of a type other than str, int, float, bool, None, dict, list, tuple."""


_CACHED_TEXT_MAX = 256
_CACHE_ENTRIES = 4096
_ID_MIN = 16


class Redactor:
    """Masks credentials in encoded log lines; knows the gateway's resolved secret values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: tuple[str, ...] = ()
        self._texts: dict[str, str] = {}
        self._names: dict[str, tuple[str, bool]] = {}
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, value: str) -> None:
        """Mask this exact value wherever it appears (values shorter than 6 characters are ignored)."""
        if len(value) >= 6 and value not in self._secrets:
            # Longest first so that a secret containing another is masked whole.
            self._secrets = tuple(sorted((*self._secrets, value), key=len, reverse=True))
            self._texts = {}  # remembered verdicts predate this secret

    def redact(self, line: str) -> str:
        """Return the JSON text with every credential-shaped value and credential-named field masked."""
        for secret in self._secrets:
            if secret in line:
                line = line.replace(secret, MASK)
        lower = line.lower()
        if any(word in lower for word in _KEY_WORDS):
            line = _SENSITIVE_KEY.sub(lambda m: f'"{m.group("key")}":"{MASK}"', line)
        if "://" in line and "@" in line:
            line = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", line)
        if "bearer" in lower or "basic" in lower:
            line = _BEARER.sub(lambda m: m.group("scheme") + " " + MASK, line)
        return _CANDIDATE.sub(_mask_candidate, line)

    def redact_text(self, text: str) -> str:
        """Return one string value (not JSON text) with every credential in it masked."""
        cached = self._texts.get(text)
        return cached if cached is not None else self._check_text(text)

    def _check_text(self, text: str) -> str:
        out = text
        for secret in self._secrets:
            if secret in out:
                out = out.replace(secret, MASK)
        if len(text) >= _ID_MIN and text.islower() and text.isalnum() and text.isascii():
            # A lower-case id (trace ids, hex digests): no credential shape can match it (each needs
            # upper case, `-`, `_`, `"`, `://` or a space). Unique per request: not remembered.
            return out
        if "://" in out and "@" in out:
            out = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", out)
        lower = out.lower()
        if "bearer" in lower or "basic" in lower:
            out = _BEARER.sub(lambda m: m.group("scheme") + " " + MASK, out)
        if len(out) >= 12:
            out = _CANDIDATE.sub(_mask_candidate, out)
        if '"' in out and any(word in lower for word in _KEY_WORDS):
            out = _SENSITIVE_KEY.sub(lambda m: f'"{m.group("key")}":"{MASK}"', out)
        if len(text) <= _CACHED_TEXT_MAX:
            if len(self._texts) >= _CACHE_ENTRIES:
                self._texts = {}
            self._texts[text] = out
        return out

    def _check_name(self, key: object) -> tuple[str, bool]:
        if type(key) is not str:
            raise _NotJson
        verdict = (self.redact_text(key), _SENSITIVE_NAME.fullmatch(key) is not None)
        if len(self._names) < _CACHE_ENTRIES:
            self._names[key] = verdict
        return verdict

    def redact_fields(self, value: Mapping[str, object]) -> Mapping[str, object] | object:
        """Return a masked copy of a JSON-shaped mapping, or `NOT_JSON` if it holds other types.

        Strings are masked as by `redact_text`; a string under a credential-named key becomes `***`
        (as `redact` does for `"api_key": "…"`). Callers encode the result and, on `NOT_JSON`, fall
        back to `redact` on the encoded text.
        """
        try:
            return self._mapping(value)
        except _NotJson:
            return NOT_JSON

    def _mapping(self, value: Mapping[str, object]) -> dict[str, object]:
        # The hot path of every log line: inlined cache lookups, no call per scalar.
        texts, names = self._texts, self._names
        out: dict[str, object] = {}
        for key, item in value.items():
            name = names.get(key) or self._check_name(key)
            kind = type(item)
            if kind is str:
                item = MASK if name[1] else texts.get(item) or self._check_text(item)  # type: ignore[call-overload,arg-type]
            elif kind is dict:
                item = self._mapping(item)  # type: ignore[arg-type]
            elif kind is list or kind is tuple:
                item = self._sequence(item)  # type: ignore[arg-type]
            elif not (item is None or kind is int or kind is float or kind is bool):
                raise _NotJson
            out[name[0]] = item
        return out

    def _sequence(self, value: list[object] | tuple[object, ...]) -> list[object]:
        out: list[object] = []
        for item in value:
            kind = type(item)
            if kind is str:
                item = self._texts.get(item) or self._check_text(item)  # type: ignore[call-overload,arg-type]
            elif kind is dict:
                item = self._mapping(item)  # type: ignore[arg-type]
            elif kind is list or kind is tuple:
                item = self._sequence(item)  # type: ignore[arg-type]
            elif not (item is None or kind is int or kind is float or kind is bool):
                raise _NotJson
            out.append(item)
        return out
