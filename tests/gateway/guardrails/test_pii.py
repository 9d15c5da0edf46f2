"""PII detectors: each kind with positives, negatives and look-alikes that must not match."""

from __future__ import annotations

import pytest

from gateway.guardrails.pii import PII_KINDS, build_detectors, find_pii

DETECTORS = build_detectors(PII_KINDS)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(m.kind, text[m.start : m.end]) for m in find_pii(text, DETECTORS)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to alice.nguyen@example.com.vn today", ("email", "alice.nguyen@example.com.vn")),
        ('send("bob+tag@corp.io")', ("email", "bob+tag@corp.io")),
        ("card 4111 1111 1111 1111 please", ("credit_card", "4111 1111 1111 1111")),
        ("card 5500-0000-0000-0004", ("credit_card", "5500-0000-0000-0004")),
        ("amex 378282246310005", ("credit_card", "378282246310005")),
        ("IBAN GB82 WEST 1234 5698 7654 32", ("iban", "GB82 WEST 1234 5698 7654 32")),
        ("iban DE89370400440532013000.", ("iban", "DE89370400440532013000")),
        ("CCCD: 001090012345", ("vn_cccd", "001090012345")),
        ("CMND 123456789 cấp tại Hà Nội", ("vn_cmnd", "123456789")),
        ("gọi 0901 234 567 nhé", ("phone", "0901 234 567")),
        ("gọi 0987.654.321", ("phone", "0987.654.321")),
        ("hotline +84 901234567", ("phone", "+84 901234567")),
        ("bàn 024 3826 1234", ("phone", "024 3826 1234")),
        ("office +1 415 555 2671", ("phone", "+1 415 555 2671")),
        ("host 192.168.1.20 down", ("ipv4", "192.168.1.20")),
        ("v6 2001:db8::8a2e:370:7334 up", ("ipv6", "2001:db8::8a2e:370:7334")),
        ("loopback ::1 only", ("ipv6", "::1")),
        ("full fe80:0:0:0:200:f8ff:fe21:67cf.", ("ipv6", "fe80:0:0:0:200:f8ff:fe21:67cf")),
        ("OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLmN0pQrStUvW", ("api_key", "sk-proj-Ab3dEf6hIj9kLmN0pQrStUvW")),
        (
            "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
            ("api_key", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345"),
        ),
        ("aws AKIAIOSFODNN7EXAMPLE", ("api_key", "AKIAIOSFODNN7EXAMPLE")),
        ("gh ghp_" + "A1b2" * 9, ("api_key", "ghp_" + "A1b2" * 9)),
        ("slack xoxb-123456789012-abcdefABCDEF", ("api_key", "xoxb-123456789012-abcdefABCDEF")),
        ("short slack xoxp-1234567890 token", ("api_key", "xoxp-1234567890")),
        (
            "google AIzaSyA1234567890abcdefghijklmnopqrstuv",
            ("api_key", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
        ),
        ("token aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", ("secret", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5")),
    ],
)
def test_each_kind_is_found(text: str, expected: tuple[str, str]) -> None:
    assert kinds(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "order 4111 1111 1111 1112 shipped",  # Luhn-invalid: an order number, not a card
        "tracking 1234567890123456",  # 16 digits, Luhn-invalid
        "IBAN GB82 WEST 1234 5698 7654 33",  # mod-97 fails
        "@property\ndef name(self): ...",  # decorator, not an email
        "npm install left-pad@1.3.0",  # package version, not an email
        "ssh admin@localhost",  # no top-level domain
        "CCCD 999090012345",  # 999 is no province code
        "version 1.2.3.4.5 and 10.0.300.1",  # not addresses
        "at 12:30:45 the build ran",  # a time, not IPv6
        "commit 0123456789abcdef0123456789abcdef01234567",  # a hex hash is low entropy
        "internationalizationAndLocalizationXYZ",  # long word, no digits
        "sk-short",  # too short for a key
        "price 1,234,567,890 VND",  # thousands separators
    ],
)
def test_look_alikes_are_not_personal_data(text: str) -> None:
    assert kinds(text) == []


def test_card_number_is_not_also_reported_as_a_phone_or_id() -> None:
    assert kinds("4111111111111111") == [("credit_card", "4111111111111111")]


def test_an_email_inside_code_is_still_an_email() -> None:
    code = 'smtp.send(to="carol@example.org", subject=f"{user}@{host}")'
    assert kinds(code) == [("email", "carol@example.org")]


def test_only_the_requested_kinds_are_detected() -> None:
    only_email = build_detectors(["email"])
    found = find_pii("bob@example.com 4111 1111 1111 1111", only_email)
    assert [m.kind for m in found] == ["email"]
