"""Personal data and secrets: detectors compiled once, validated by checksum where one exists.

Each detector is a regex that finds candidates plus an optional validator that rejects look-alikes
(Luhn for cards, mod-97 for IBANs, province codes for Vietnamese CCCD, `ipaddress` for IPs, Shannon
entropy for unprefixed secrets). Detectors run in priority order and a span already claimed by an
earlier kind is not reported again (a card number is not also a phone number).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["PII_KINDS", "PLACEHOLDERS", "Detector", "PiiMatch", "build_detectors", "find_pii"]

PII_KINDS = (
    "api_key",
    "credit_card",
    "iban",
    "email",
    "vn_cccd",
    "phone",
    "vn_cmnd",
    "ipv4",
    "ipv6",
    "secret",
)
"""Every kind, in the order detectors claim spans."""

PLACEHOLDERS = {
    "api_key": "[API_KEY_REDACTED]",
    "credit_card": "[CREDIT_CARD_REDACTED]",
    "iban": "[IBAN_REDACTED]",
    "email": "[EMAIL_REDACTED]",
    "vn_cccd": "[VN_CCCD_REDACTED]",
    "phone": "[PHONE_REDACTED]",
    "vn_cmnd": "[VN_CMND_REDACTED]",
    "ipv4": "[IP_ADDRESS_REDACTED]",
    "ipv6": "[IP_ADDRESS_REDACTED]",
    "secret": "[SECRET_REDACTED]",
}

# Province codes of the 12-digit citizen identity card (Circular 07/2016/TT-BCA, 63 provinces).
_CCCD_PROVINCES = frozenset(
    f"{n:03d}"
    for n in (1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
              38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
              79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96)
)  # fmt: skip

# Every pattern starts with a character class and checks its left boundary only after the first
# character (`X(?<!B.)`): CPython's regex engine then skips ahead to candidate characters in C
# instead of trying a lookbehind at every position, which makes a scan 3-5x faster.
_VN_PHONE = r"(?:[35789]\d(?:[ .-]?\d){7}|2\d(?:[ .-]?\d){8})"
_PATTERNS: dict[str, str] = {
    "api_key": (
        r"[sAghxG](?<![\w-].)(?:(?<=s)k-ant-[\w-]{20,}|(?<=s)k-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}"
        r"|(?<=A)(?:KIA|SIA)[0-9A-Z]{16}|(?<=g)h[pousr]_[A-Za-z0-9]{36,}|(?<=g)ithub_pat_\w{40,}"
        r"|(?<=x)ox[abposr]-[A-Za-z0-9-]{10,}|(?<=A)Iza[0-9A-Za-z_-]{35})(?![\w-])"
    ),
    "credit_card": r"[0-9](?<![0-9-].)(?:[ -]?[0-9]){12,18}(?![0-9])",
    "iban": r"[A-Z](?<![A-Za-z0-9].)[A-Z][0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])",
    "email": (
        r"[A-Za-z0-9](?<![\w.%+-].)[\w.%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
    ),
    "vn_cccd": r"0(?<![0-9.-].)[0-9]{11}(?![0-9])",
    "phone": (
        r"[+(0](?<![\w+].)(?:(?<=0)"
        + _VN_PHONE
        + r"|(?<=\+)84[ .-]?"
        + _VN_PHONE
        + r"|(?<=\()\+84\)[ .-]?"
        + _VN_PHONE
        + r"|(?<=\+)[1-9][0-9]{0,2}[ .-]?\(?[0-9]{1,4}\)?(?:[ .-]?[0-9]){5,11})(?![0-9])"
    ),
    "vn_cmnd": r"[0-9](?<![0-9.,-].)[0-9]{8}(?![.,]?[0-9])",
    "ipv4": r"[0-9](?<![0-9.].)[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9]|\.[0-9])",
    # gated by its prefilter, so it keeps the plain form
    "ipv6": r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)?(?![\w:])",
    "secret": r"[A-Za-z0-9+_=-](?<![\w+/=-].)[A-Za-z0-9+_=-]{31,}(?![\w+/=-])",
}

# Cheap tests that skip a regex scan when the text cannot contain that kind.
_PREFILTERS: dict[str, Callable[[str], bool]] = {
    "email": lambda t: "@" in t,
    "ipv6": lambda t: "::" in t or t.count(":") >= 7,
    "ipv4": lambda t: "." in t,
}
_ANCHORS: dict[str, tuple[str, int, int]] = {"email": ("@", 64, 256)}
"""Kinds scanned only in windows (chars before, chars after) around each occurrence of a character."""
_MIN_TOKEN = {"api_key": 15, "secret": 32}
"""Kinds that need a whitespace-free token at least this long: skipped when the text has none."""


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(candidate: str) -> bool:
    digits = candidate.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn(digits)


def _iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _cccd(candidate: str) -> bool:
    return candidate[:3] in _CCCD_PROVINCES and candidate[3] in "0123"


def _phone(candidate: str) -> bool:
    return 9 <= sum(ch.isdigit() for ch in candidate) <= 15


def _ipv4(candidate: str) -> bool:
    try:
        ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return True


def _ipv6(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return candidate != "::"


def _entropy_validator(threshold: float) -> Callable[[str], bool]:
    def looks_random(candidate: str) -> bool:
        if not (any(c.isdigit() for c in candidate) and any(c.isupper() for c in candidate)):
            return False
        if not any(c.islower() for c in candidate):
            return False
        n = len(candidate)
        entropy = -sum(k / n * math.log2(k / n) for k in Counter(candidate).values())
        return entropy >= threshold

    return looks_random


@dataclass(slots=True, frozen=True)
class Detector:
    """One kind: its compiled pattern, a validator for candidates, and a cheap prefilter."""

    kind: str
    pattern: re.Pattern[str]
    validate: Callable[[str], bool] | None = None
    prefilter: Callable[[str], bool] | None = None
    anchor: tuple[str, int, int] | None = None

    def scan(self, text: str) -> Iterator[re.Match[str]]:
        """Yield candidate matches, only near the anchor character when the kind has one."""
        if self.anchor is None:
            yield from self.pattern.finditer(text)
            return
        char, before, after = self.anchor
        at = text.find(char)
        while at != -1:
            start, end = max(at - before, 0), at + after
            at = text.find(char, at + 1)
            while at != -1 and at - before <= end:  # merge overlapping windows
                end = at + after
                at = text.find(char, at + 1)
            yield from self.pattern.finditer(text, start, min(end, len(text)))


@dataclass(slots=True, frozen=True)
class PiiMatch:
    """Where a kind of personal data was found (offsets only)."""

    start: int
    end: int
    kind: str


def build_detectors(kinds: Sequence[str], entropy_threshold: float = 4.3) -> tuple[Detector, ...]:
    """Compile the detectors for `kinds`, in claiming priority order."""
    validators: dict[str, Callable[[str], bool]] = {
        "credit_card": _card,
        "iban": _iban,
        "vn_cccd": _cccd,
        "phone": _phone,
        "ipv4": _ipv4,
        "ipv6": _ipv6,
        "secret": _entropy_validator(entropy_threshold),
    }
    wanted = set(kinds)
    return tuple(
        Detector(
            kind, re.compile(_PATTERNS[kind]), validators.get(kind), _PREFILTERS.get(kind), _ANCHORS.get(kind)
        )
        for kind in PII_KINDS
        if kind in wanted
    )


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def _longest_token(text: str) -> int:
    return max(map(len, text.split()), default=0)


def find_pii(text: str, detectors: Sequence[Detector]) -> list[PiiMatch]:
    """Find every validated match; a span claimed by an earlier kind is not reported again."""
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []
    longest: int | None = None
    for det in detectors:
        if det.prefilter is not None and not det.prefilter(text):
            continue
        if det.kind in _MIN_TOKEN:
            longest = _longest_token(text) if longest is None else longest
            if longest < _MIN_TOKEN[det.kind]:
                continue
        for m in det.scan(text):
            start, end = m.span()
            if det.validate is not None and not det.validate(m.group()):
                continue
            if taken and _overlaps(taken, start, end):
                continue
            taken.append((start, end))
            found.append(PiiMatch(start, end, det.kind))
    return found
